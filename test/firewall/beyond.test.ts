// Firewall lab: port filtered or rejected beyond the last hop.
// Scenarios and expectations: scenarios.ts (group 'beyond').
import { afterEach, describe, inject, it } from 'vitest';
import { flushRules } from './lab.js';
import { labOrThrow, runScenario } from './run-scenario.js';
import { scenarios } from './scenarios.js';

const lab = inject('lab');

describe.sequential('port filtered or rejected beyond the last hop', () => {
  afterEach(async () => {
    if (!('problem' in lab)) await flushRules(lab);
  });
  const list = 'problem' in lab ? [] : scenarios(lab).filter((s) => s.group === 'beyond');
  if (list.length === 0) it('has a lab', () => void labOrThrow(lab));
  for (const s of list) {
    it(s.name, async () => {
      await runScenario(labOrThrow(lab), s);
    });
  }
});
