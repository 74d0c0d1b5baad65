// Firewall lab: credentials blocked by payload rules (and rejected by the proxy).
// Scenarios and expectations: scenarios.ts (group 'credentials').
import { afterEach, describe, inject, it } from 'vitest';
import { flushRules } from './lab.js';
import { labOrThrow, runScenario } from './run-scenario.js';
import { scenarios } from './scenarios.js';

const lab = inject('lab');

describe.sequential('credentials blocked by payload rules (and rejected by the proxy)', () => {
  afterEach(async () => {
    if (!('problem' in lab)) await flushRules(lab);
  });
  const list = 'problem' in lab ? [] : scenarios(lab).filter((s) => s.group === 'credentials');
  if (list.length === 0) it('has a lab', () => void labOrThrow(lab));
  for (const s of list) {
    it(s.name, async () => {
      await runScenario(labOrThrow(lab), s);
    });
  }
});
