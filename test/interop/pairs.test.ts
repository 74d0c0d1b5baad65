/**
 * Every ordered pair of servers as a 2-hop chain (12 × 12, a server after itself included):
 * TLS to the HTTPS origin inside the tunnel and a GET, so every byte crosses both hops intact.
 * tinyproxy and dante refuse to follow themselves: those pairs assert the refusal.
 * The pairs run concurrently (maxConcurrency in vitest.interop.config.ts).
 */
import { describe, expect, it } from 'vitest';
import { Chain } from '../../src/index.js';
import { expectFailure, httpsGetOver } from './exchange.js';
import { cell } from './record.js';
import { chainOptions, hopUrl, selfPairRefusal, server } from './servers.js';
import { useTestbed } from './use-testbed.js';

const testbed = useTestbed();

if (testbed) {
  const bed = testbed;
  const names = bed.servers.map((s) => s.name);
  const pairs = names.flatMap((first) => names.map((second) => [first, second] as const));
  describe.concurrent('2-hop chains', () => {
    it.for(pairs)('%s → %s', async ([first, second], { task }) => {
      const a = server(bed, first);
      const loop = first === second ? selfPairRefusal(a) : undefined;
      await cell(task, { table: 'pairs', row: first, column: second, na: loop?.why }, async () => {
        const chain = new Chain([hopUrl(bed, a), hopUrl(bed, server(bed, second))], chainOptions(bed));
        if (loop) {
          const error = await expectFailure(chain.connect(bed.origins.https), {
            code: loop.code,
            hopIndex: loop.hopIndex,
          });
          expect(error.reply).toBe(loop.reply);
          return;
        }
        const echo = await httpsGetOver(await chain.connect(bed.origins.https), bed);
        expect(echo.origin).toBe('https');
      });
    });
  });
}
