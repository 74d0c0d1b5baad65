/** The pure parts of serve: log lines, error-to-reply mapping, listen URLs, listener credentials. */
import { describe, expect, it } from 'vitest';
import { asChainError } from '../../../src/errors.js';
import { ChainError, type ChainErrorCode } from '../../../src/index.js';
import { credentialsMatch, parseAuth } from '../../../src/server/auth.js';
import { checkBindSafety, isLoopback, parseListenUrl } from '../../../src/server/listen-url.js';
import { type ConnectionRecord, formatBytes, formatRecord } from '../../../src/server/log.js';
import { describeFailure, httpStatusFor, socks5ReplyFor } from '../../../src/server/replies.js';

const HOP = 'socks5://bob:***@127.0.0.1:1080';

function record(fields: Partial<ConnectionRecord> = {}): ConnectionRecord {
  return {
    time: new Date('2026-11-21T09:30:00.123Z'),
    client: '127.0.0.1:53422',
    protocol: 'socks5',
    target: 'example.com:443',
    route: '2 hops',
    result: 'ok',
    error: undefined,
    detail: undefined,
    bytesUp: 512,
    bytesDown: 20 * 1024,
    durationMs: 143.4,
    trace: [
      { hopIndex: 0, phase: 'tcp', ms: 0.42 },
      { hopIndex: 0, phase: 'handshake', ms: 1.2 },
      { hopIndex: 1, phase: 'handshake', ms: 0.81 },
    ],
    ...fields,
  };
}

function chainError(code: ChainErrorCode, extra: Partial<ConstructorParameters<typeof ChainError>[0]> = {}) {
  return new ChainError({
    code,
    phase: 'handshake',
    hopIndex: 1,
    hop: HOP,
    message: `hop 2 (${HOP}): it failed`,
    ...extra,
  });
}

describe('formatRecord', () => {
  it('renders a success in one line', () => {
    expect(formatRecord(record())).toBe(
      '2026-11-21T09:30:00Z 127.0.0.1:53422 socks5 -> example.com:443 via 2 hops: ok up=512B down=20KiB 143ms',
    );
  });

  it('--verbose adds the per-hop timings', () => {
    expect(formatRecord(record(), { verbose: true })).toMatch(
      /143ms \[hop1 tcp 0\.4ms, hop1 handshake 1\.2ms, hop2 handshake 0\.8ms\]$/,
    );
  });

  it('renders a chain failure with its code and hop; verbose adds the message', () => {
    const failed = record({
      result: 'AUTH_FAILED',
      error: chainError('AUTH_FAILED'),
      bytesDown: 0,
      trace: [],
    });
    expect(formatRecord(failed)).toBe(
      `2026-11-21T09:30:00Z 127.0.0.1:53422 socks5 -> example.com:443 via 2 hops: AUTH_FAILED at hop 2 (${HOP}) 143ms`,
    );
    expect(formatRecord(failed, { verbose: true })).toMatch(/143ms: hop 2 \(.*\): it failed$/);
  });

  it('renders a listener refusal with its reason', () => {
    const refused = record({
      result: 'LISTENER_AUTH',
      detail: 'wrong user name or password',
      target: undefined,
    });
    expect(formatRecord(refused)).toBe(
      '2026-11-21T09:30:00Z 127.0.0.1:53422 socks5: LISTENER_AUTH (wrong user name or password) 143ms',
    );
  });

  it('colors the result only when asked', () => {
    expect(formatRecord(record())).not.toContain('\u001b[');
    expect(formatRecord(record(), { color: true })).toContain('\u001b[32mok\u001b[0m');
  });

  it.each([
    [0, '0B'],
    [1023, '1023B'],
    [1536, '1.5KiB'],
    [20 * 1024, '20KiB'],
    [5 * 1024 * 1024 + 1, '5.0MiB'],
    [3 * 1024 ** 3, '3.0GiB'],
  ])('formatBytes(%d) is %s', (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });
});

describe('replies for chain failures', () => {
  it.each([
    ['HOP_UNREACHABLE', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }, 0x05],
    ['HOP_UNREACHABLE', { reply: 'HTTP 502 Bad Gateway', reason: 'failed' }, 0x04],
    ['HOP_UNREACHABLE', { cause: Object.assign(new Error('x'), { code: 'EHOSTUNREACH' }) }, 0x04],
    ['HOP_UNREACHABLE', { reason: 'refused' }, 0x05],
    ['TARGET_UNREACHABLE', { reply: 'SOCKS5 reply 0x05 (connection refused)', reason: 'refused' }, 0x05],
    ['TARGET_UNREACHABLE', { reply: 'SOCKS5 reply 0x04 (host unreachable)', reason: 'unreachable' }, 0x04],
    ['TARGET_UNREACHABLE', { reply: 'SOCKS5 reply 0x06 (TTL expired)', reason: 'timeout' }, 0x06],
    ['DNS_FAILED', {}, 0x04],
    ['PROXY_DENIED', {}, 0x02],
    ['HOP_TIMEOUT', {}, 0x06],
    ['AUTH_FAILED', {}, 0x01],
    ['AUTH_REQUIRED', {}, 0x01],
    ['PROTOCOL_ERROR', {}, 0x01],
    ['TLS_FAILED', {}, 0x01],
    ['ABORTED', {}, 0x01],
    ['INVALID_CONFIG', {}, 0x01],
  ] as const)('%s %o is SOCKS5 reply %i', (code, extra, reply) => {
    expect(socks5ReplyFor(chainError(code, extra))).toBe(reply);
  });

  it('HTTP: 504 for timeouts, 502 for everything else (never 407)', () => {
    expect(httpStatusFor(chainError('HOP_TIMEOUT'))).toBe(504);
    for (const code of ['AUTH_REQUIRED', 'AUTH_FAILED', 'HOP_UNREACHABLE', 'PROXY_DENIED'] as const) {
      expect(httpStatusFor(chainError(code))).toBe(502);
    }
  });

  it('the body names the code, then the message, which names the hop once', () => {
    expect(describeFailure(chainError('AUTH_FAILED'))).toBe(
      `sockschain: AUTH_FAILED: hop 2 (${HOP}): it failed`,
    );
    const message = `hop 1 (socks5://127.0.0.1:1) cannot reach hop 2 (${HOP}): refused`;
    const text = describeFailure(chainError('HOP_UNREACHABLE', { message }));
    expect(text).toBe(`sockschain: HOP_UNREACHABLE: ${message}`);
    expect(text.split('hop 2 (').length).toBe(2);
    expect(describeFailure(new ChainError({ code: 'ABORTED', phase: 'tcp', message: 'gone' }))).toBe(
      'sockschain: ABORTED: gone',
    );
  });

  it('a foreign error from a custom connect becomes a ChainError', () => {
    const refused = asChainError(Object.assign(new Error('boom'), { code: 'ECONNREFUSED' }), '127.0.0.1:9');
    expect(refused).toMatchObject({
      code: 'TARGET_UNREACHABLE',
      message: 'cannot reach 127.0.0.1:9: ECONNREFUSED',
    });
    expect(asChainError('weird', 'h:1').code).toBe('TARGET_UNREACHABLE');
  });

  it('without a target (the CLI), a foreign error is a PROTOCOL_ERROR in its own words', () => {
    const error = new ChainError({ code: 'ABORTED', phase: 'tcp', message: 'stop' });
    expect(asChainError(error)).toBe(error);
    expect(asChainError(new Error('odd'))).toMatchObject({
      code: 'PROTOCOL_ERROR',
      phase: 'handshake',
      message: 'odd',
    });
  });
});

describe('listen URLs', () => {
  it.each([
    ['socks5://127.0.0.1:1080', { kind: 'socks', host: '127.0.0.1', port: 1080 }],
    ['socks://localhost', { kind: 'socks', host: 'localhost', port: 1080 }],
    ['socks4a://127.0.0.1:0', { kind: 'socks', host: '127.0.0.1', port: 0 }],
    ['http://[::1]:8080', { kind: 'http', host: '::1', port: 8080 }],
    ['HTTP://127.0.0.1', { kind: 'http', host: '127.0.0.1', port: 8080 }],
  ])('%s', (url, spec) => {
    expect(parseListenUrl(url)).toEqual(spec);
  });

  it.each(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1'])(
    '%s is loopback',
    (host) => {
      expect(isLoopback(host)).toBe(true);
    },
  );

  it.each(['0.0.0.0', '::', '10.0.0.1', '192.168.1.1', 'example.com', '128.0.0.1', 'localhost.example'])(
    '%s is not loopback',
    (host) => {
      expect(isLoopback(host)).toBe(false);
    },
  );

  it('a public bind passes with credentials or the explicit opt-in (checked without binding)', () => {
    const spec = parseListenUrl('socks5://0.0.0.0:1080');
    expect(() => checkBindSafety(spec, false, false)).toThrow(/--auth user:pass.*--allow-public/);
    expect(() => checkBindSafety(spec, true, false)).not.toThrow();
    expect(() => checkBindSafety(spec, false, true)).not.toThrow();
  });
});

describe('listener credentials', () => {
  it('parses user:pass at the first colon', () => {
    expect(parseAuth('me:pa:ss')).toEqual({ username: 'me', password: 'pa:ss' });
  });

  it.each(['', 'nopassword', ':pw', 'u:', `u:${'x'.repeat(256)}`])(
    'refuses "%s" without echoing it',
    (text) => {
      expect(() => parseAuth(text)).toThrow(/listener auth needs a (user name|password) of 1-255 bytes/);
      try {
        parseAuth(text);
      } catch (error) {
        if (text.length > 3) expect((error as Error).message).not.toContain(text);
      }
    },
  );

  it('compares both fields', () => {
    const auth = { username: 'me', password: 'secret' };
    expect(credentialsMatch(auth, 'me', 'secret')).toBe(true);
    expect(credentialsMatch(auth, 'me', 'secreT')).toBe(false);
    expect(credentialsMatch(auth, 'you', 'secret')).toBe(false);
    expect(credentialsMatch(auth, 'me', '')).toBe(false);
  });
});
