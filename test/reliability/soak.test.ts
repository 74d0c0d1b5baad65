/**
 * The soak of test/soak with small counts, so `npm test` (and .ci/run) always runs it: 500
 * requests through a 2-hop chain whose hops are killed and restarted at random.
 */
import { it } from 'vitest';
import { expectSoakHeld } from '../soak/check.js';
import { runSoak } from '../soak/soak.js';

const REQUESTS = 500;

it(`${REQUESTS} requests, 64 in flight, agent and dispatcher, hops killed at random`, async () => {
  expectSoakHeld(await runSoak({ requests: REQUESTS }), REQUESTS);
}, 60_000);
