/**
 * Latency-aware selection (`healthCheck.prefer: 'latency'`) over real hops of the test bed:
 * dante and microsocks in dynamic mode, microsocks slowed by 150 ms per connection (a
 * delaying relay in front of it). While slow, connections leave it out (dante alone carries
 * them); once the delay is gone it is reported fast and chained again.
 */
import { describe, expect, it } from 'vitest';
import { Chain, type HealthEvent } from '../../src/index.js';
import { startDelayRelay } from '../fixtures/delay-relay.js';
import { eventually } from '../helpers.js';
import { bannerExchange } from './exchange.js';
import { chainOptions, hopUrl, server } from './servers.js';
import { useTestbed } from './use-testbed.js';

const testbed = useTestbed();

describe.runIf(testbed)("healthCheck prefer: 'latency' over test-bed hops", () => {
  const bed = testbed as NonNullable<typeof testbed>;

  it('dynamic mode leaves a slowed hop out, and chains it again once it is fast', async () => {
    const slowed = server(bed, 'microsocks-open');
    const relay = await startDelayRelay({ host: slowed.host, port: slowed.port }, 150);
    const { banner } = bed.origins;
    const events: HealthEvent[] = [];
    const chain = new Chain(
      [hopUrl(bed, server(bed, 'dante-open')), `socks5://127.0.0.1:${relay.port}`],
      chainOptions(bed, {
        mode: 'dynamic',
        healthCheck: {
          target: `${banner.host}:${banner.port}`,
          intervalMs: 100,
          timeoutMs: 2000,
          prefer: 'latency',
          toleranceMs: 50,
          onChange: (event) => events.push(event),
        },
      }),
    );
    const through = async () => {
      const before = chain.stats().hops.map((h) => h.connected);
      await bannerExchange(await chain.connect(`${banner.host}:${banner.port}`), bed);
      return chain.stats().hops.map((h, i) => h.connected - (before[i] as number));
    };
    try {
      await eventually(() => events.some((e) => e.state === 'slow'), 10_000);
      expect(events[0]).toMatchObject({ hopIndex: 1, state: 'slow' });
      expect(chain.stats().hops[1]?.health?.latencyMs).toBeGreaterThanOrEqual(150);
      for (let i = 0; i < 3; i++) expect(await through()).toEqual([1, 0]);

      relay.setDelay(0);
      await eventually(() => events.some((e) => e.state === 'fast'), 10_000);
      expect(await through()).toEqual([1, 1]);
      expect(events.map((e) => e.state)).toEqual(['slow', 'fast']);
    } finally {
      await chain.close();
      await relay.close();
    }
  });
});
