/**
 * Fuzzing the CONNECT reply: parseResponseHead on arbitrary bytes, and the whole httpConnect
 * handshake against a fake proxy whose (valid, mutated or random) reply arrives in arbitrary
 * chunks. Never an exception other than a ChainError, never a hang; the tunnel opens exactly
 * when the reply is a complete 2xx head within the 16 KiB cap (after any interim 1xx heads;
 * lines ended CRLF or bare LF), and not a byte after the head is lost.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChainError } from '../../src/errors.js';
import { parseHop } from '../../src/hop.js';
import type { HopContext } from '../../src/protocols/context.js';
import { httpConnect, MAX_REPLY_HEAD } from '../../src/protocols/http-connect.js';
import { MalformedResponseError, parseResponseHead } from '../../src/protocols/http-response.js';
import { check, chunked, cuts, fakePeer, mutated, RUNS, renderings, rest, withinMs } from './fuzz.js';

const SOME = Math.ceil(RUNS / 5);
const PASSWORD = 'fuzz-SECRET-pw';

const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,12}$/);
const headerLine = fc.oneof(
  fc.tuple(token, fc.string({ maxLength: 20 })).map(([name, value]) => `${name}: ${value}`),
  fc.constantFrom(
    'Proxy-Authenticate: Basic realm="fuzz"',
    'Proxy-Authenticate: Digest realm="fuzz", nonce="abc", qop="auth", algorithm=MD5',
    'Proxy-Authenticate: Digest realm="fuzz", nonce="abc", stale=true',
    'Connection: close',
    'Connection: keep-alive',
    'Transfer-Encoding: chunked',
    'X-Squid-Error: ERR_DNS_FAIL 0',
    'X-Squid-Error: ERR_CONNECT_FAIL 111',
  ),
  fc.bigInt({ min: 0n, max: 10n ** 20n }).map((n) => `Content-Length: ${n}`),
);
// Around the 16 KiB cap of a reply head (for the handshake; the parser itself has no cap).
const padding = fc.integer({ min: 16_300, max: 16_400 }).map((n) => `X-Pad: ${'a'.repeat(n)}`);
const status = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(200, 200, 200, 204) },
  fc.constantFrom(100, 200, 201, 204, 299, 301, 400, 401, 403, 405, 407, 500, 502, 503, 504),
  fc.integer({ min: 0, max: 999 }),
);

/** One head: status line and header lines, ended CRLF (or, as some proxies do, bare LF). */
const headOf = (line: fc.Arbitrary<string>, code: fc.Arbitrary<number>) =>
  fc
    .record({
      version: fc.constantFrom('1.1', '1.0', '2.0'),
      code,
      reason: fc.option(fc.string({ maxLength: 16 }).filter((r) => !/[\r\n]/.test(r))),
      headers: fc.array(line, { maxLength: 5 }),
      eol: fc.constantFrom('\r\n', '\r\n', '\r\n', '\n'),
    })
    .map(({ version, code, reason, headers, eol }) => {
      const statusLine = `HTTP/${version} ${String(code).padStart(3, '0')}${reason === null ? '' : ` ${reason}`}`;
      return [statusLine, ...headers, ''].map((text) => `${text}${eol}`).join('');
    });

/** A reply as a proxy might send it: maybe interim 1xx heads, the final head, whatever follows. */
const replyOf = (line: fc.Arbitrary<string>) =>
  fc
    .record({
      interim: fc.oneof(
        { weight: 4, arbitrary: fc.constant([]) },
        fc.array(headOf(headerLine, fc.constantFrom(100, 102, 103, 199)), { maxLength: 9 }),
      ),
      final: headOf(line, status),
      tail: fc.uint8Array({ maxLength: 24 }),
    })
    .map(({ interim, final, tail }) =>
      Buffer.concat([Buffer.from([...interim, final].join(''), 'latin1'), tail]),
    );
const reply = replyOf(headerLine);
const largeReply = fc.oneof({ weight: 9, arbitrary: reply }, replyOf(fc.oneof(headerLine, padding)));

function context(password?: string): HopContext {
  const hop = parseHop(password ? `http://fuzz:${password}@127.0.0.1:3128` : 'http://127.0.0.1:3128');
  return {
    index: 0,
    hop,
    dest: { host: '127.0.0.1', port: 80 },
    next: undefined,
    remainingMs: () => 1000,
    progress: () => {},
    track: () => {},
  };
}

/** Where a head that starts at `from` ends: just past a blank line (LF LF or LF CR LF); -1 if none. */
function headEnd(input: Buffer, from: number): number {
  for (let at = input.indexOf(0x0a, from); at !== -1; at = input.indexOf(0x0a, at + 1)) {
    if (input[at + 1] === 0x0a) return at + 2;
    if (input[at + 1] === 0x0d && input[at + 2] === 0x0a) return at + 3;
  }
  return -1;
}

/** The 1xx heads skipped at most before the reply counts as final (src/protocols/http-connect.ts). */
const MAX_INTERIM = 8;

/**
 * What the handshake must do with these bytes: open the tunnel on a final 2xx head (after up
 * to 8 interim 1xx ones), leaving what follows, or fail.
 */
function expected(input: Buffer): { opens: boolean; tail?: Buffer } {
  let from = 0;
  for (let i = 0; ; i++) {
    const cut = headEnd(input, from);
    if (cut === -1 || cut - from > MAX_REPLY_HEAD) return { opens: false };
    let status: number;
    try {
      ({ status } = parseResponseHead(input.subarray(from, cut)));
    } catch {
      return { opens: false };
    }
    from = cut;
    if (status >= 200 || status === 101 || i >= MAX_INTERIM) {
      return status >= 200 && status < 300 ? { opens: true, tail: input.subarray(from) } : { opens: false };
    }
  }
}

describe('parseResponseHead', () => {
  it('any bytes give a head or a MalformedResponseError', async () => {
    await check(
      fc.property(mutated(reply), (input) => {
        let head: ReturnType<typeof parseResponseHead>;
        try {
          head = parseResponseHead(input);
        } catch (error) {
          expect(error).toBeInstanceOf(MalformedResponseError);
          return;
        }
        expect(Number.isInteger(head.status) && head.status >= 0 && head.status <= 999).toBe(true);
        expect(head.version).toMatch(/^\d\.\d$/);
        for (const name of head.headers.keys()) expect(name).toBe(name.toLowerCase());
      }),
    );
  });
});

describe('httpConnect against a fuzzed proxy reply in arbitrary chunks', () => {
  it.each([
    ['written one by one', false],
    ['pipelined (request already sent)', true],
  ])(
    'opens exactly on a complete 2xx head, keeps every byte after it, else a ChainError (%s)',
    async (_name, sent) => {
      const seen = { opened: 0, failed: 0 };
      await check(
        fc.asyncProperty(mutated(largeReply), cuts, async (input, points) => {
          const peer = fakePeer(chunked(input, points));
          const ctx = context();
          const outcome = await withinMs(
            httpConnect(peer.stream, ctx, sent).then(
              () => ({ opened: true as const }),
              (error: unknown) => ({ opened: false as const, error }),
            ),
            2000,
            'httpConnect',
          );
          const want = expected(input);
          seen[outcome.opened ? 'opened' : 'failed']++;
          if (!outcome.opened) {
            expect(outcome.error).toBeInstanceOf(ChainError);
            expect((outcome.error as ChainError).hopIndex).toBe(0);
            expect(want.opens).toBe(false);
            peer.stream.destroy();
            return;
          }
          expect(want.opens).toBe(true);
          expect(await withinMs(rest(peer.stream), 2000, 'the rest')).toEqual(want.tail);
          if (!sent)
            expect(Buffer.concat(peer.written).toString('latin1')).toMatch(
              /^CONNECT 127\.0\.0\.1:80 HTTP\/1\.1\r\n/,
            );
        }),
        SOME * 2,
      );
      // Both outcomes were exercised, not just one of them.
      expect(Math.min(seen.opened, seen.failed)).toBeGreaterThan(SOME / 10);
    },
  );

  it('with credentials: Basic or Digest, whatever the challenge, the password never shows in an error', async () => {
    await check(
      fc.asyncProperty(mutated(reply), cuts, async (input, points) => {
        const peer = fakePeer(chunked(input, points));
        const result = await withinMs(
          httpConnect(peer.stream, context(PASSWORD)).then(
            () => undefined,
            (error: unknown) => error,
          ),
          2000,
          'httpConnect',
        );
        peer.stream.destroy();
        if (result === undefined) return;
        expect(result).toBeInstanceOf(ChainError);
        const basic = Buffer.from(`fuzz:${PASSWORD}`).toString('base64');
        for (const text of renderings(result)) {
          expect(text).not.toContain(PASSWORD);
          expect(text).not.toContain(basic);
        }
      }),
      SOME,
    );
  });
});
