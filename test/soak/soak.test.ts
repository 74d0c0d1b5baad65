/**
 * The full soak (npm run test:soak): SOAK_REQUESTS requests (default 20,000) through a 2-hop
 * chain while its hops are killed and restarted. The same run with 500 requests is part of
 * `npm test` (test/reliability/soak.test.ts).
 */
import { expect, it } from 'vitest';
import { expectSoakHeld } from './check.js';
import { runSoak } from './soak.js';

const REQUESTS = Number(process.env.SOAK_REQUESTS ?? 20_000);

it(`${REQUESTS} requests, 64 in flight, agent and dispatcher, hops killed at random`, async () => {
  const report = await runSoak({ requests: REQUESTS });
  console.log(`soak: ${JSON.stringify({ ...report, unexpected: undefined })}`);
  expectSoakHeld(report, REQUESTS);
  expect(report.durationMs).toBeGreaterThan(0);
}, 600_000);
