/** What every soak run must show, whatever its size (the full run and the small one in `npm test`). */
import { expect } from 'vitest';
import { RECOVERY, type SoakReport } from './soak.js';

export function expectSoakHeld(report: SoakReport, requests: number): void {
  const { outcomes } = report;
  const summary = JSON.stringify({ ...report, unexpected: undefined }, null, 1);
  // Replaying a failure: SOAK_SEED=<seed>.
  const context = `soak seed ${report.seed}: ${summary}\n${report.unexpected.join('\n')}`;
  // Every request settled, as a success with the exact bytes or as an error: no hang, no
  // silently short or wrong body, no error of an unexpected kind.
  expect(
    { hang: outcomes.hang, truncated: outcomes.truncated, corrupt: outcomes.corrupt, other: outcomes.other },
    context,
  ).toEqual({
    hang: 0,
    truncated: 0,
    corrupt: 0,
    other: 0,
  });
  expect(outcomes.ok + outcomes['chain-error'] + outcomes['stream-error'], context).toBe(requests);
  // The faults happened and were felt; requests still got through between them, and all of
  // them once the faults stopped, on the same agent and dispatcher.
  expect(report.kills, context).toBeGreaterThanOrEqual(3);
  expect(outcomes['chain-error'] + outcomes['stream-error'], context).toBeGreaterThan(0);
  expect(outcomes.ok, context).toBeGreaterThan(requests / 10);
  expect(report.recovery.outcomes.ok, context).toBe(RECOVERY);
  expect(report.slowestMs, context).toBeLessThan(10_000);
  // Nothing left open, and the heap back near where it was.
  for (const [name, count] of Object.entries(report.handles.after)) {
    expect(count, `${name} ${context}`).toBeLessThanOrEqual(report.handles.before[name] ?? 0);
  }
  expect(report.heap.after, context).toBeLessThanOrEqual(report.heap.baseline * 1.1);
  expect(report.sockets.opened, context).toBeGreaterThan(0);
  expect(report.sockets.alive, context).toBe(0);
}
