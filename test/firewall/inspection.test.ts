// Firewall lab: protocol inspection: SOCKS5, CONNECT and TLS ClientHello dropped or reset.
// Scenarios and expectations: scenarios.ts (group 'inspection').
import { afterEach, describe, inject, it } from 'vitest';
import { flushRules } from './lab.js';
import { labOrThrow, runScenario } from './run-scenario.js';
import { scenarios } from './scenarios.js';

const lab = inject('lab');

describe.sequential('protocol inspection: SOCKS5, CONNECT and TLS ClientHello dropped or reset', () => {
  afterEach(async () => {
    if (!('problem' in lab)) await flushRules(lab);
  });
  const list = 'problem' in lab ? [] : scenarios(lab).filter((s) => s.group === 'inspection');
  if (list.length === 0) it('has a lab', () => void labOrThrow(lab));
  for (const s of list) {
    it(s.name, async () => {
      await runScenario(labOrThrow(lab), s);
    });
  }
});
