/**
 * Does each server take pipelined handshakes (issue #9)? With `pipeline: true`, the server
 * alone, and as the first hop of a 2-hop chain (it must hold the next hop's handshake, which
 * arrives with its own, until its tunnel is up). A server that refuses is asserted to fail
 * exactly as measured, and `pipeline: 'auto'` is checked to fall back and remember it.
 */
import { describe, expect, it } from 'vitest';
import { Chain, type ChainErrorCode } from '../../src/index.js';
import { bannerExchange, expectFailure } from './exchange.js';
import { cell } from './record.js';
import { chainOptions, hopUrl, server } from './servers.js';
import type { Testbed, TestbedServer } from './testbed.js';
import { useTestbed } from './use-testbed.js';

const testbed = useTestbed();

/** A short per-hop limit: a server that loses pipelined bytes stalls, and that is the answer. */
const STALL_MS = 800;

/**
 * microsocks reads each handshake message with one recv() and drops the rest of the buffer:
 * the pipelined request after the greeting (or after the credentials) is lost and it waits.
 * Without credentials it waits for a CONNECT request (blamed on its destination: the next hop,
 * or itself when it is the last hop); with them, for the credentials' successor.
 */
function refusal(s: TestbedServer, hasNext: boolean): { code: ChainErrorCode; hopIndex: number } | undefined {
  if (s.kind !== 'microsocks') return undefined;
  return { code: 'HOP_TIMEOUT', hopIndex: !s.auth && hasNext ? 1 : 0 };
}

const REFUSAL_NOTE =
  'microsocks reads each handshake message with one recv() and drops what follows it in the buffer: the pipelined request is lost and the handshake stalls (HOP_TIMEOUT); pipeline: "auto" notices within a few round trips (a sequential attempt started beside the silent one wins) and remembers the hop for that chain';

/** The next hop for the "first" position: an HTTP proxy that takes early bytes. */
function nextOf(bed: Testbed, s: TestbedServer): TestbedServer {
  return server(bed, s.name === 'squid-open' ? 'dante-open' : 'squid-open');
}

async function pipelined(bed: Testbed, hops: string[], extra = {}): Promise<void> {
  const chain = new Chain(hops, chainOptions(bed, { pipeline: true, ...extra }));
  await bannerExchange(await chain.connect(bed.origins.banner), bed);
}

if (testbed) {
  const bed = testbed;
  const others = bed.servers.filter((s) => s.auth?.scheme !== 'digest');

  describe.concurrent.each(others.map((s) => [s.name, s] as const))('%s with pipeline: true', (name, s) => {
    for (const role of ['alone', 'first'] as const) {
      it(role, async ({ task }) => {
        const hops = [hopUrl(bed, s), ...(role === 'first' ? [hopUrl(bed, nextOf(bed, s))] : [])];
        const refused = refusal(s, role === 'first');
        await cell(task, { table: 'matrix', row: `${name} ${role}`, column: 'pipelining' }, async () => {
          if (!refused) {
            await pipelined(bed, hops);
            return { value: 'yes' };
          }
          const chain = new Chain(hops, chainOptions(bed, { pipeline: true, hopTimeoutMs: STALL_MS }));
          await expectFailure(chain.connect(bed.origins.banner), refused);
          return { value: 'no', note: REFUSAL_NOTE };
        });
      });
    }

    if (!refusal(s, false)) return;
    it.for(['alone', 'first'] as const)(
      "pipeline: 'auto' falls back within a few round trips (%s), then goes sequential at once",
      async (role) => {
        const hops = [hopUrl(bed, s), ...(role === 'first' ? [hopUrl(bed, nextOf(bed, s))] : [])];
        // The default hop timeout (10 s): the fallback must come long before it.
        const chain = new Chain(hops, chainOptions(bed, { pipeline: 'auto' }));
        const started = performance.now();
        await bannerExchange(await chain.connect(bed.origins.banner), bed);
        expect(performance.now() - started).toBeLessThan(STALL_MS);
        const again = performance.now();
        await bannerExchange(await chain.connect(bed.origins.banner), bed);
        expect(performance.now() - again).toBeLessThan(STALL_MS / 2);
      },
    );
  });

  // Digest costs a round trip that pipelining cannot wait for: only a challenge the chain
  // remembers (from its earlier tunnel's 407) lets the first CONNECT carry Digest credentials.
  const digest = bed.servers.filter((s) => s.auth?.scheme === 'digest');
  describe.each(digest.map((s) => [s.name, s] as const))('%s with pipeline: true', (name, s) => {
    it.for(['alone', 'first'] as const)('%s', async (role, { task }) => {
      const hops = [hopUrl(bed, s), ...(role === 'first' ? [hopUrl(bed, nextOf(bed, s))] : [])];
      await cell(task, { table: 'matrix', row: `${name} ${role}`, column: 'pipelining' }, async () => {
        // A fresh chain knows no challenge yet.
        const chain = new Chain(hops, chainOptions(bed, { pipeline: true }));
        const error = await expectFailure(chain.connect(bed.origins.banner), {
          code: 'AUTH_FAILED',
          hopIndex: 0,
        });
        expect(error.reply).toBe('HTTP 407 Proxy Authentication Required');
        // That 407's challenge is remembered: the same chain's next CONNECT carries Digest.
        await bannerExchange(await chain.connect(bed.origins.banner), bed);
        return {
          value: 'yes',
          note: "Digest: only once the chain knows its challenge; the chain's first pipelined CONNECT carries Basic and gets 407 (AUTH_FAILED), whose challenge the next one answers",
        };
      });
    });
  });
}
