/**
 * Fuzzing the hop-URL parser (src/hop.ts), the target parser (src/target.ts) and the Chain
 * constructor: for any input, a valid result or a ChainError INVALID_CONFIG, never another
 * exception; a password never shows in a hop's URL, JSON, inspect output or any error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Hop, type HopSpec, parseHop, parseHops } from '../../src/hop.js';
import { Chain, ChainError } from '../../src/index.js';
import { parseTarget } from '../../src/target.js';
import { check, mutatedText, RUNS, renderings } from './fuzz.js';

// The main property of each parser runs RUNS times; the narrower ones a tenth of that.
const SOME = Math.ceil(RUNS / 10);

/**
 * JSON values, as a config file can hold them, with now and then an object whose toString or
 * valueOf is not a function (String() of it throws: found by this file, fixed in 242a234).
 */
function json(maxDepth: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 9, arbitrary: fc.jsonValue({ maxDepth }) },
    fc.constantFrom({ toString: 0 }, { valueOf: '' }, { toString: '' }),
  );
}

const PROTOCOLS = ['http', 'https', 'socks4', 'socks4a', 'socks5', 'socks5h'];
const MARK = 'SECRET';

const scheme = fc.constantFrom(
  'http',
  'https',
  'socks',
  'socks4',
  'socks4a',
  'socks5',
  'socks5h',
  'SOCKS5',
  'ftp',
  'h',
);
const name = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?(\.[a-z0-9]{1,6}){0,2}$/);
const host = fc.oneof(
  name,
  fc.ipV4(),
  fc.ipV6().map((v6) => `[${v6}]`),
  fc.constantFrom('localhost', '[::1]', '127.0.0.1', '[::ffff:127.0.0.1]', 'xn--bcher-kva.example'),
);
const port = fc.oneof(
  fc.integer({ min: 1, max: 65535 }).map(String),
  fc.constantFrom('0', '65536', '99999', '', '08', '1e3', '-1'),
);
const user = fc.stringMatching(/^[a-z0-9._~-]{0,8}$/);

/** A hop URL as people write them, with optional credentials. */
const hopUrl = fc
  .record({
    scheme,
    user: fc.option(user),
    pass: fc.option(fc.string({ maxLength: 8 })),
    host,
    port: fc.option(port),
    bare: fc.boolean(),
  })
  .map(({ scheme, user, pass, host, port, bare }) => {
    const auth =
      user === null
        ? ''
        : `${encodeURIComponent(user)}${pass === null ? '' : `:${encodeURIComponent(pass)}`}@`;
    return `${bare ? '' : `${scheme}://`}${auth}${host}${port === null ? '' : `:${port}`}`;
  });

function checkHop(hop: Hop): void {
  expect(PROTOCOLS).toContain(hop.protocol);
  expect(Number.isInteger(hop.port) && hop.port >= 1 && hop.port <= 65535).toBe(true);
  expect(hop.host).not.toBe('');
  expect(hop.host).not.toMatch(/[\s/?#@]/);
  expect(hop.username === undefined || typeof hop.username === 'string').toBe(true);
  expect(hop.password === undefined || typeof hop.password === 'string').toBe(true);
  expect(Object.keys(hop)).not.toContain('password');
  // (A password with an empty user name is left out of the URL altogether: hidden all the same.)
  if (hop.password !== undefined && hop.username !== undefined) expect(hop.url).toContain(':***@');
}

function expectInvalidConfig(error: unknown): void {
  if (!(error instanceof ChainError)) throw error;
  expect(error.code).toBe('INVALID_CONFIG');
  expect(error.phase).toBe('config');
}

/** Runs `parse`: a value passes `valid`, a failure must be INVALID_CONFIG. */
function outcome<T>(parse: () => T, valid: (value: T) => void): void {
  let value: T;
  try {
    value = parse();
  } catch (error) {
    expectInvalidConfig(error);
    return;
  }
  valid(value);
}

describe('hop URLs', () => {
  it('parseHop: any text gives a well-formed hop or INVALID_CONFIG', async () => {
    await check(
      fc.property(mutatedText(hopUrl), (text) => {
        outcome(() => parseHop(text), checkHop);
      }),
    );
  });

  it('a parsed hop survives a round trip through its own (redacted) URL', async () => {
    await check(
      fc.property(hopUrl, (text) => {
        let hop: Hop;
        try {
          hop = parseHop(text);
        } catch (error) {
          return expectInvalidConfig(error);
        }
        const again = parseHop(hop.url);
        expect({
          protocol: again.protocol,
          host: again.host,
          port: again.port,
          username: again.username,
        }).toEqual({
          protocol: hop.protocol,
          host: hop.host,
          port: hop.port,
          username: hop.username,
        });
      }),
      SOME,
    );
  });

  it('parseHops: any list gives well-formed hops or INVALID_CONFIG', async () => {
    const list = fc
      .array(mutatedText(hopUrl), { maxLength: 4 })
      .chain((urls) => fc.constantFrom(...[', ', ' ', ',', '\n', ' , '].map((sep) => urls.join(sep))));
    await check(
      fc.property(list, (text) => {
        outcome(
          () => parseHops(text),
          (hops) => hops.forEach(checkHop),
        );
      }),
      SOME,
    );
  });

  it('hop objects from JSON (config files): a well-formed hop or INVALID_CONFIG, never a TypeError', async () => {
    const value = fc.oneof(json(1), fc.constant(undefined));
    const spec = fc.record(
      {
        protocol: fc.oneof(fc.constantFrom(...PROTOCOLS, 'socks', 'SOCKS5', 'gopher'), value),
        host: fc.oneof(host, value),
        port: fc.oneof(fc.integer({ min: -2, max: 70000 }), value),
        username: fc.oneof(user, value),
        password: fc.oneof(fc.string({ maxLength: 6 }), value),
        userId: fc.oneof(user, value),
        rejectUnauthorized: fc.oneof(fc.boolean(), value),
        servername: fc.oneof(name, value),
        pipeline: fc.oneof(fc.boolean(), value),
      },
      { requiredKeys: [] },
    );
    await check(
      fc.property(spec, (input) => {
        outcome(() => parseHop(input as unknown as HopSpec), checkHop);
      }),
      SOME,
    );
  });
});

describe('passwords in hop URLs never show', () => {
  /** A password with the mark in it, raw or percent-encoded, in a URL broken in some other place. */
  const secretUrl = fc
    .record({
      scheme: fc.option(scheme, { nil: undefined }),
      user,
      before: fc.string({ maxLength: 4 }),
      after: fc.string({ maxLength: 4 }),
      encode: fc.boolean(),
      host: fc.oneof(host, fc.constantFrom('', 'a b', '[::1', 'h/x', 'h?x', '%%')),
      port: fc.option(port, { nil: undefined }),
      tail: fc.constantFrom('', '/', '/path', '?q=1', '#f', ' ', '/ x'),
    })
    .map(({ scheme, user, before, after, encode, host, port, tail }) => {
      const password = `${before}${MARK}${after}`;
      const pass = encode ? encodeURIComponent(password) : password;
      return `${scheme === undefined ? '' : `${scheme}://`}${user}:${pass}@${host}${port === undefined ? '' : `:${port}`}${tail}`;
    });

  it('not in the hop (url, JSON, inspect) nor in any error, however the rest of the URL is broken', async () => {
    await check(
      fc.property(secretUrl, (text) => {
        let shown: string[];
        try {
          const hop = parseHop(text);
          shown = [hop.url, ...renderings(hop), ...renderings(new Chain([hop]))];
        } catch (error) {
          expectInvalidConfig(error);
          shown = renderings(error);
          shown.push((error as ChainError).hop ?? '');
        }
        for (const text of shown) expect(text.toLowerCase()).not.toContain(MARK.toLowerCase());
      }),
      SOME,
    );
  });

  it('not in the errors of hop objects either', async () => {
    const spec = fc.record({
      protocol: fc.constantFrom(...PROTOCOLS, 'gopher'),
      host: fc.oneof(host, fc.constantFrom('', 'a b', 'x/y')),
      port: fc.integer({ min: -1, max: 70000 }),
      username: user,
      password: fc
        .tuple(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }))
        .map(([a, b]) => `${a}${MARK}${b}`),
    });
    await check(
      fc.property(spec, (input) => {
        let shown: string[];
        try {
          shown = renderings(parseHop(input as HopSpec));
        } catch (error) {
          expectInvalidConfig(error);
          shown = renderings(error);
        }
        for (const text of shown) expect(text).not.toContain(MARK);
      }),
      SOME,
    );
  });
});

describe('targets', () => {
  const target = fc
    .record({ host, port, form: fc.constantFrom('plain', 'url', 'object') })
    .map(({ host, port, form }): string | { host: string; port: string } =>
      form === 'object' ? { host, port } : form === 'url' ? `https://${host}:${port}/x` : `${host}:${port}`,
    );

  it('parseTarget: any text or object gives host and port, or INVALID_CONFIG', async () => {
    const input = fc.oneof(
      mutatedText(target.filter((t): t is string => typeof t === 'string')),
      target,
      fc.record({ host: json(1), port: json(1) }),
    );
    await check(
      fc.property(input, (value) => {
        outcome(
          () => parseTarget(value as never),
          (result) => {
            expect(typeof result.host).toBe('string');
            expect(result.host).not.toBe('');
            expect(result.host).not.toMatch(/[\s/@]/);
            expect(Number.isInteger(result.port) && result.port >= 1 && result.port <= 65535).toBe(true);
          },
        );
      }),
    );
  });
});

describe('chain options', () => {
  it('new Chain(hops, options) with any JSON options: a chain or INVALID_CONFIG', async () => {
    const keys = [
      'timeoutMs',
      'hopTimeoutMs',
      'dns',
      'mode',
      'chainLength',
      'retries',
      'cooldownMs',
      'noProxy',
      'httpForwarding',
      'pipeline',
      'rejectUnauthorized',
    ];
    const options = fc.dictionary(fc.constantFrom(...keys), json(2), { maxKeys: 4 });
    await check(
      fc.property(options, fc.integer({ min: 1, max: 3 }), (opts, count) => {
        const hops = Array.from({ length: count }, (_, i) => `socks5://127.0.0.1:${1080 + i}`);
        outcome(
          () => new Chain(hops, opts),
          (chain) => {
            expect(chain.hops).toHaveLength(count);
            expect(chain.options.timeoutMs).toBeGreaterThan(0);
            expect(chain.options.hopTimeoutMs).toBeGreaterThan(0);
          },
        );
      }),
      SOME,
    );
  });
});
