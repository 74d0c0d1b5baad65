/**
 * Structured blame (issue 12): each way a hop's exchange can stop gives a ChainError whose
 * stage, replyStarted, reason and cause errno tell it apart, and blame() names the cause,
 * the link and the side from those facts alone. Faults a firewall makes (silence or a reset
 * at one stage) come from scripted servers; wrong credentials and wrong protocols from the
 * fixture proxies.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blame, Chain, ChainError, linkLabel } from '../../../../src/index.js';
import { certs, type Fixture, startHttpProxy, startSocksServer } from '../../../fixtures/index.js';
import { hopUrl, SECRET, USER } from '../../../helpers.js';
import { type Scripted, type Step, startScripted } from './scripted.js';

const fixtures: Array<Fixture | Scripted> = [];
let closedPort: number;
let socks: Fixture;
let http: Fixture;
let https: Fixture;
const TARGET = { host: '127.0.0.1', port: 9 };

beforeAll(async () => {
  const auth = { username: USER, password: SECRET };
  socks = await startSocksServer({ auth });
  http = await startHttpProxy({ auth });
  https = await startHttpProxy({ tls: certs.localhost });
  fixtures.push(socks, http, https);
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as net.AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
});

afterAll(async () => {
  for (const fixture of fixtures) await fixture.close();
});

async function failure(hops: string[], hopTimeoutMs = 400): Promise<ChainError> {
  const chain = new Chain(hops, { timeoutMs: 3000, hopTimeoutMs, ca: certs.ca });
  const error = await chain.connect(TARGET).then(
    (socket) => {
      socket.destroy();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ChainError);
  return error as ChainError;
}

async function scripted(script: Step[]): Promise<number> {
  const server = await startScripted(script);
  fixtures.push(server);
  return server.port;
}

const creds = `${USER}:${encodeURIComponent(SECRET)}@`;
// SOCKS5 greeting offering no-auth and user/password (sequential setup, as curl does).
const GREETING_WITH_AUTH = 4;
const AUTH_MESSAGE = 3 + USER.length + Buffer.byteLength(SECRET);

describe('stage, replyStarted and reason on the error; the cause from blame()', () => {
  it('a closed port: tcp, ECONNREFUSED, refused, this machine → hop 1', async () => {
    const error = await failure([`socks5://127.0.0.1:${closedPort}`]);
    expect(error).toMatchObject({
      code: 'HOP_UNREACHABLE',
      stage: 'tcp',
      replyStarted: false,
      reason: 'refused',
    });
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    const verdict = blame(error, { hopCount: 1 });
    expect(verdict).toMatchObject({
      cause: 'refused',
      side: 'hop',
      link: { from: null, to: 0 },
      hopDown: true,
    });
    expect(linkLabel(verdict.link)).toBe('this machine → hop 1');
  });

  it('SOCKS5 greeting answered, credentials unanswered: auth stage silence is credentials-blocked', async () => {
    const port = await scripted([{ read: GREETING_WITH_AUTH }, { write: [0x05, 0x02] }, 'silent']);
    const error = await failure([`socks5://${creds}127.0.0.1:${port}`]);
    expect(error).toMatchObject({
      code: 'HOP_TIMEOUT',
      stage: 'auth',
      replyStarted: false,
      reason: 'silent',
    });
    expect(blame(error, { hopCount: 1 }).cause).toBe('credentials-blocked');
  });

  it('SOCKS5 credentials reset: auth stage, reset, credentials-blocked', async () => {
    const port = await scripted([
      { read: GREETING_WITH_AUTH },
      { write: [0x05, 0x02] },
      { read: 1 },
      'reset',
    ]);
    const error = await failure([`socks5://${creds}127.0.0.1:${port}`]);
    expect(error).toMatchObject({
      code: 'PROTOCOL_ERROR',
      stage: 'auth',
      replyStarted: false,
      reason: 'reset',
    });
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ECONNRESET');
    expect(blame(error, { hopCount: 1 }).cause).toBe('credentials-blocked');
  });

  it('SOCKS5 greeting unanswered: greeting stage silence is protocol-blocked', async () => {
    const port = await scripted(['silent']);
    const error = await failure([`socks5://127.0.0.1:${port}`]);
    expect(error).toMatchObject({ code: 'HOP_TIMEOUT', stage: 'greeting', replyStarted: false });
    expect(blame(error, { hopCount: 1 }).cause).toBe('protocol-blocked');
  });

  it('CONNECT reset before any reply: request stage, reset, protocol-blocked (not wrong-protocol)', async () => {
    const port = await scripted([{ read: 1 }, 'reset']);
    const error = await failure([`http://127.0.0.1:${port}`]);
    expect(error).toMatchObject({
      code: 'PROTOCOL_ERROR',
      stage: 'request',
      replyStarted: false,
      reason: 'reset',
    });
    const verdict = blame(error, { hopCount: 1 });
    expect(verdict.cause).toBe('protocol-blocked');
    expect(verdict.remedy).toMatch(/over TLS \(an https:\/\/ hop\)/);
  });

  it('CONNECT to the last hop unanswered: the target is filtered (exit side "target")', async () => {
    const port = await scripted(['silent']);
    const error = await failure([`http://127.0.0.1:${port}`]);
    expect(error).toMatchObject({ code: 'HOP_TIMEOUT', stage: 'request', replyStarted: false });
    const verdict = blame(error, { hopCount: 1, finalTarget: '127.0.0.1:9' });
    expect(verdict).toMatchObject({ cause: 'target-filtered', side: 'target', link: { from: 0, to: null } });
    expect(linkLabel(verdict.link)).toBe('hop 1 → target');
  });

  it('ClientHello unanswered: tls stage silence is tls-blocked', async () => {
    const port = await scripted(['silent']);
    const error = await failure([`https://127.0.0.1:${port}`]);
    expect(error).toMatchObject({ code: 'HOP_TIMEOUT', stage: 'tls', replyStarted: false });
    expect(blame(error, { hopCount: 1 }).cause).toBe('tls-blocked');
  });

  it('ClientHello reset: TLS_FAILED, reset, nothing answered, tls-blocked', async () => {
    const port = await scripted([{ read: 1 }, 'reset']);
    const error = await failure([`https://127.0.0.1:${port}`]);
    expect(error).toMatchObject({ code: 'TLS_FAILED', stage: 'tls', replyStarted: false, reason: 'reset' });
    expect(blame(error, { hopCount: 1 }).cause).toBe('tls-blocked');
  });

  it('a TLS port behind http:// (closed, no reply) and an HTTP port behind socks5:// are wrong-protocol', async () => {
    const tlsAsHttp = await failure([`http://${https.host}:${https.port}`]);
    expect(tlsAsHttp).toMatchObject({ code: 'PROTOCOL_ERROR', replyStarted: false, reason: 'closed' });
    expect(blame(tlsAsHttp, { hopCount: 1 }).cause).toBe('wrong-protocol');
    // An HTTP proxy waits for the end of a request head that a SOCKS greeting never sends:
    // silence at the greeting, which alone cannot be told from a dropped greeting (probe's
    // follow-ups can); the remedy names both.
    const httpAsSocks = await failure([hopUrl('socks5', http)]);
    expect(httpAsSocks).toMatchObject({ stage: 'greeting', replyStarted: false, reason: 'silent' });
    expect(blame(httpAsSocks, { hopCount: 1 }).remedy).toMatch(/speaks another protocol/);
    const socksAsHttp = await failure([hopUrl('http', socks)]);
    expect(socksAsHttp).toMatchObject({ stage: 'request' });
    expect(blame(socksAsHttp, { hopCount: 1 }).cause).toBe('wrong-protocol');
  });

  it('wrong password: the hop answered at the auth stage, credentials-rejected, hop not down', async () => {
    for (const hop of [
      hopUrl('http', http, { user: USER, pass: 'nope' }),
      hopUrl('socks5', socks, { user: USER, pass: 'nope' }),
    ]) {
      const error = await failure([hop]);
      expect(error).toMatchObject({ code: 'AUTH_FAILED', stage: 'auth', replyStarted: true });
      expect(blame(error, { hopCount: 1 })).toMatchObject({ cause: 'credentials-rejected', hopDown: false });
    }
  });

  it('a hop that cannot reach the next one: the link between them, tcp stage, reported reason', async () => {
    const error = await failure([
      hopUrl('socks5', socks, { user: USER, pass: SECRET }),
      `http://127.0.0.1:${closedPort}`,
    ]);
    expect(error).toMatchObject({
      code: 'HOP_UNREACHABLE',
      hopIndex: 1,
      stage: 'tcp',
      replyStarted: false,
      reason: 'refused',
    });
    const verdict = blame(error, { hopCount: 2 });
    expect(verdict).toMatchObject({ cause: 'refused', link: { from: 0, to: 1 } });
    expect(linkLabel(verdict.link)).toBe('hop 1 → hop 2');
  });

  it('toJSON carries stage, replyStarted, reason and the errno of the cause, never a password', async () => {
    const port = await scripted([
      { read: GREETING_WITH_AUTH },
      { write: [0x05, 0x02] },
      { read: AUTH_MESSAGE },
      'reset',
    ]);
    const error = await failure([`socks5://${creds}127.0.0.1:${port}`]);
    const json = error.toJSON();
    expect(json).toMatchObject({
      stage: 'auth',
      replyStarted: false,
      reason: 'reset',
      causeCode: 'ECONNRESET',
    });
    expect(JSON.stringify(json)).not.toContain(SECRET);
  });
});

describe('blame() on facts alone', () => {
  const make = (init: Partial<ConstructorParameters<typeof ChainError>[0]>) =>
    new ChainError({ code: 'HOP_UNREACHABLE', phase: 'tcp', message: 'x', hopIndex: 0, ...init });

  it.each([
    [{ cause: Object.assign(new Error('x'), { code: 'EHOSTUNREACH' }) }, 'firewall-rejected'],
    [{ cause: Object.assign(new Error('x'), { code: 'EACCES' }) }, 'firewall-rejected'],
    [{ reason: 'unreachable' as const }, 'firewall-rejected'],
    [{ cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }, 'refused'],
    [{ code: 'HOP_TIMEOUT' as const, reason: 'timeout' as const }, 'filtered'],
    [
      { code: 'TARGET_UNREACHABLE' as const, phase: 'handshake' as const, reason: 'timeout' as const },
      'target-filtered',
    ],
    [
      { code: 'TARGET_UNREACHABLE' as const, phase: 'handshake' as const, reason: 'refused' as const },
      'target-refused',
    ],
    [{ code: 'PROXY_DENIED' as const, phase: 'handshake' as const }, 'proxy-denied'],
    [
      {
        code: 'TLS_FAILED' as const,
        phase: 'tls' as const,
        cause: Object.assign(new Error('x'), { code: 'CERT_HAS_EXPIRED' }),
      },
      'tls-untrusted',
    ],
    [
      {
        code: 'TLS_FAILED' as const,
        phase: 'tls' as const,
        cause: Object.assign(new Error('x'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }),
      },
      'tls-intercepted',
    ],
    [
      {
        code: 'HOP_TIMEOUT' as const,
        phase: 'handshake' as const,
        stage: 'auth' as const,
        replyStarted: true,
      },
      'stalled',
    ],
  ])('%o → %s', (init, cause) => {
    expect(blame(make(init), { hopCount: 2 }).cause).toBe(cause);
  });

  it('a remedy is chosen from facts, not from the message', () => {
    const a = make({
      code: 'AUTH_FAILED',
      phase: 'auth',
      reason: 'no-acceptable-method',
      message: 'rejected the credentials',
    });
    expect(blame(a, { hopCount: 1 }).remedy).toMatch(/none of the authentication methods/);
    const b = make({ code: 'PROXY_DENIED', phase: 'handshake', reason: 'method-not-allowed' });
    expect(blame(b, { hopCount: 1 }).remedy).toMatch(/does not allow CONNECT/);
  });
});
