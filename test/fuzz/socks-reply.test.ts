/**
 * Fuzzing the SOCKS client handshakes (src/protocols/socks/handshake.ts): a fake server's
 * replies (valid, mutated or random) arrive in arbitrary chunks. Never an exception other
 * than a ChainError, never a hang; the tunnel opens exactly when the replies are complete and
 * say yes; every byte after them is left for the application; and the password is written
 * only to a server that asked for it (chose RFC 1929).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChainError } from '../../src/errors.js';
import { type Hop, parseHop } from '../../src/hop.js';
import type { HopContext } from '../../src/protocols/context.js';
import { socksHandshake } from '../../src/protocols/socks/handshake.js';
import { check, chunked, cuts, fakePeer, mutated, RUNS, renderings, rest, withinMs } from './fuzz.js';

const PASSWORD = 'fuzz-SECRET-pw';
const byte = fc.integer({ min: 0, max: 255 });
const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));

/** SOCKS5 reply to CONNECT: VER REP RSV ATYP BND.ADDR BND.PORT, usually a success. */
const socks5Reply = fc
  .record({
    rep: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, byte),
    atyp: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(1, 3, 4) }, byte),
    name: bytes(255),
    port: bytes(2),
  })
  .map(({ rep, atyp, name, port }) => {
    const address =
      atyp === 1
        ? Buffer.alloc(4, 7)
        : atyp === 4
          ? Buffer.alloc(16, 9)
          : atyp === 3
            ? Buffer.concat([Buffer.from([name.length]), name])
            : Buffer.alloc(0);
    return Buffer.concat([Buffer.from([5, rep, 0, atyp]), address, Buffer.alloc(2, port[0] ?? 0)]);
  });

/** Method choice, RFC 1929 status when user/password was chosen, the reply, then application bytes. */
const socks5Replies = fc
  .record({
    method: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 2) }, byte),
    status: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, byte),
    reply: socks5Reply,
    tail: bytes(16),
  })
  .map(({ method, status, reply, tail }) =>
    Buffer.concat([
      Buffer.from([5, method]),
      method === 2 ? Buffer.from([1, status]) : Buffer.alloc(0),
      reply,
      tail,
    ]),
  );

const socks4Replies = fc
  .record({
    vn: fc.constantFrom(0, 4, 5, 0x48),
    cd: fc.oneof({ weight: 3, arbitrary: fc.constant(0x5a) }, byte),
    rest: bytes(6),
    tail: bytes(16),
  })
  .map(({ vn, cd, rest, tail }) =>
    Buffer.concat([Buffer.from([vn, cd]), rest, Buffer.alloc(6 - Math.min(6, rest.length)), tail]),
  );

interface Setup {
  hop: Hop;
  next: Hop | undefined;
}

const setups = {
  socks5: { hop: parseHop('socks5://127.0.0.1:1080'), next: undefined },
  socks5Auth: {
    hop: parseHop(`socks5://fuzz:${PASSWORD}@127.0.0.1:1080`),
    next: parseHop('http://127.0.0.1:3128'),
  },
  socks4: { hop: parseHop('socks4://bob@127.0.0.1:1080'), next: undefined },
  socks4a: { hop: parseHop('socks4a://127.0.0.1:1080'), next: parseHop('http://127.0.0.1:3128') },
} satisfies Record<string, Setup>;

function context({ hop, next }: Setup): HopContext {
  return {
    index: 0,
    hop,
    // Plain SOCKS4 carries addresses only; the others get a name.
    dest: next
      ? { host: next.host, port: next.port }
      : { host: hop.protocol === 'socks4' ? '192.0.2.1' : 'example.com', port: 443 },
    next,
    remainingMs: () => 1000,
    progress: () => {},
    track: () => {},
  };
}

/** Where the application's bytes start when these replies open the tunnel; undefined if they must not. */
function socks5Opens(input: Buffer, credentials: boolean): number | undefined {
  if (input[0] !== 5) return undefined;
  let at = 2;
  if (input[1] === 2 && credentials) {
    if (input.length < 4 || input[3] !== 0) return undefined;
    at = 4;
  } else if (input[1] !== 0) return undefined;
  if (input[at] !== 5 || input[at + 1] !== 0 || input.length < at + 4) return undefined;
  const atyp = input[at + 3];
  const length = atyp === 1 ? 4 : atyp === 4 ? 16 : atyp === 3 ? (input[at + 4] ?? -1) + 1 : -1;
  if (length < 0 || (atyp === 3 && input.length < at + 5)) return undefined;
  const end = at + 4 + length + 2;
  return input.length >= end ? end : undefined;
}

function socks4Opens(input: Buffer): number | undefined {
  return input.length >= 8 && (input[0] === 0 || input[0] === 4) && input[1] === 0x5a ? 8 : undefined;
}

async function run(setup: Setup, input: Buffer, points: number[], sent: boolean) {
  const peer = fakePeer(chunked(input, points));
  const outcome = await withinMs(
    socksHandshake(peer.stream, context(setup), sent).then(
      () => ({ opened: true as const, error: undefined }),
      (error: unknown) => ({ opened: false as const, error }),
    ),
    2000,
    'socksHandshake',
  );
  return { peer, ...outcome };
}

function expectChainError(error: unknown, setup: Setup): void {
  expect(error).toBeInstanceOf(ChainError);
  // Blamed on this hop, or (a refusal to connect onward) on the next one.
  expect([0, setup.next ? 1 : 0]).toContain((error as ChainError).hopIndex);
  for (const text of renderings(error)) expect(text).not.toContain(PASSWORD);
}

describe('socksHandshake against fuzzed replies in arbitrary chunks', () => {
  const cases = [
    ['SOCKS5 without credentials', setups.socks5, false, socks5Replies],
    ['SOCKS5 with credentials, a next hop', setups.socks5Auth, false, socks5Replies],
    ['SOCKS5 with credentials, pipelined', setups.socks5Auth, true, socks5Replies],
    ['SOCKS4 with a user id', setups.socks4, false, socks4Replies],
    ['SOCKS4a to a next hop by name, pipelined', setups.socks4a, true, socks4Replies],
  ] as const;

  it.each(cases)(
    '%s: opens exactly on complete yes-replies, keeps the bytes after them',
    async (_name, setup, sent, replies) => {
      const seen = { opened: 0, failed: 0 };
      await check(
        fc.asyncProperty(mutated(replies), cuts, async (input, points) => {
          const { peer, opened, error } = await run(setup, input, points, sent);
          const isSocks4 = setup.hop.protocol.startsWith('socks4');
          const credentials = setup.hop.password !== undefined;
          // Pipelined, the server must pick the one method offered (user/password with credentials).
          const start = isSocks4
            ? socks4Opens(input)
            : sent && credentials && input[1] !== 2
              ? undefined
              : socks5Opens(input, credentials);
          seen[opened ? 'opened' : 'failed']++;
          if (!opened) {
            expectChainError(error, setup);
            expect(start).toBeUndefined();
            return void peer.stream.destroy();
          }
          expect(start).toBeDefined();
          expect(await withinMs(rest(peer.stream), 2000, 'the rest')).toEqual(input.subarray(start));
        }),
        Math.ceil(RUNS / 5),
      );
      expect(Math.min(seen.opened, seen.failed)).toBeGreaterThan(RUNS / 100);
    },
  );

  it('the password goes only to a SOCKS5 server that chose user/password', async () => {
    await check(
      fc.asyncProperty(mutated(socks5Replies), cuts, async (input, points) => {
        const { peer } = await run(setups.socks5Auth, input, points, false);
        peer.stream.destroy();
        const written = Buffer.concat(peer.written);
        const chose = input[0] === 5 && input[1] === 2;
        if (!chose) expect(written.includes(PASSWORD)).toBe(false);
      }),
      Math.ceil(RUNS / 10),
    );
  });
});
