// Runs one scenario of scenarios.ts: sets its rules in the lab's namespace, runs
// `probe --json` there, and checks what probe concluded against what the scenario expects.
import { expect } from 'vitest';
import { applyRules, type Lab, type ProbeRun, probe } from './lab.js';
import type { Scenario } from './scenarios.js';

/** probe's deadline: short, so that dropped packets cost little. */
export const TIMEOUT_MS = 1500;
/** Node's own start and exit on a loaded machine, on top of the "twice --timeout" budget. */
const PROCESS_MARGIN_MS = 2500;

export function labOrThrow(lab: Lab | { problem: string }): Lab {
  if ('problem' in lab) throw new Error(`the firewall lab did not start: ${lab.problem}`);
  return lab;
}

export async function runScenario(lab: Lab, s: Scenario): Promise<ProbeRun> {
  await applyRules(lab, s.rules);
  const run = await probe(
    lab,
    ['--json', '--chain', s.chain.join(','), ...(s.args ?? []), ...s.targets],
    TIMEOUT_MS,
  );
  const context = `${s.name}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;
  expect(run.json, context).not.toBeNull();
  const results = run.json.results as {
    status: string;
    diagnosis: null | {
      link: { from: number | null; to: number | null };
      cause: string;
      evidence: unknown[];
      remedy: string;
    };
  }[];
  for (const r of results)
    expect(r, `${context}\nno diagnosis field in probe --json`).toHaveProperty('diagnosis');
  const seen = results.map((r) =>
    r.diagnosis === null
      ? null
      : { from: r.diagnosis.link.from, to: r.diagnosis.link.to, cause: r.diagnosis.cause },
  );
  expect(seen, context).toEqual(s.expected.results);
  expect(run.status, context).toBe(s.expected.exit);
  expect(run.json.exitCode, context).toBe(s.expected.exit);
  for (const r of results) {
    if (r.diagnosis === null) {
      expect(r.status, context).toBe('reachable');
      continue;
    }
    // Every diagnosis says what was tried and what to do.
    expect(r.diagnosis.evidence.length, context).toBeGreaterThan(0);
    expect(r.diagnosis.remedy.length, context).toBeGreaterThan(0);
  }
  // The diagnosis' follow-up probes stay inside the deadline budget.
  expect(run.ms, context).toBeLessThan(2 * TIMEOUT_MS + PROCESS_MARGIN_MS);
  // No credential of the lab's proxies ever shows.
  for (const c of Object.values(lab.credentials)) {
    expect(run.stdout + run.stderr).not.toContain(c.pass);
  }
  return run;
}
