/**
 * probe's follow-up probes on their own: what `ask` and `canary` report for a hop that
 * answers, stays silent, resets or closes, reached directly and through a hop before it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canary } from '../../../../src/cli/probe/canary.js';
import {
  ask,
  connectWithoutCredentials,
  httpStatus,
  socks5Greeting,
  socksMethod,
} from '../../../../src/cli/probe/follow-up.js';
import { Chain } from '../../../../src/index.js';
import { type Fixture, startHttpProxy, startSocksServer } from '../../../fixtures/index.js';
import { hopUrl, SECRET, USER } from '../../../helpers.js';
import { type Scripted, type Step, startScripted } from '../../basics/blame/scripted.js';
import { type EgressCutProxy, startEgressCutProxy } from './egress-cut-proxy.js';

const servers: Array<Fixture | Scripted | EgressCutProxy> = [];
let http: Fixture;
let socks: Fixture;
beforeAll(async () => {
  http = await startHttpProxy({ auth: { username: USER, password: SECRET } });
  socks = await startSocksServer({ versions: [5] });
  servers.push(http, socks);
});
afterAll(async () => {
  for (const server of servers) await server.close();
});

async function scripted(script: Step[]): Promise<string> {
  const server = await startScripted(script);
  servers.push(server);
  return `http://127.0.0.1:${server.port}`;
}

const chainOf = (hops: string[]) => new Chain(hops, { timeoutMs: 2000 });

describe('ask: the first bytes of an answer, or how the hop kept quiet', () => {
  it('an HTTP proxy with credentials answers a CONNECT without them: HTTP 407, in protocol', async () => {
    const outcome = await ask(
      chainOf([hopUrl('http', http)]),
      [0],
      connectWithoutCredentials('127.0.0.1:9'),
      1000,
      httpStatus,
    );
    expect(outcome).toMatchObject({ kind: 'answered', detail: 'HTTP 407', inProtocol: true });
  });

  it('a SOCKS5 greeting alone, through an HTTP hop: the method choice', async () => {
    const chain = chainOf([hopUrl('http', http, { user: USER, pass: SECRET }), hopUrl('socks5', socks)]);
    const outcome = await ask(chain, [0, 1], socks5Greeting(false), 1000, socksMethod);
    expect(outcome).toMatchObject({ kind: 'answered', detail: 'SOCKS5 method 0x00', inProtocol: true });
  });

  it.each([
    [['silent'] as Step[], 'silent'],
    [[{ read: 1 }, 'reset'] as Step[], 'reset'],
    [[{ read: 1 }, 'close'] as Step[], 'closed'],
    [[{ read: 1 }, { write: [0x16, 0x03, 0x01] }, 'silent'] as Step[], 'answered'],
  ])('%o → %s', async (script, kind) => {
    const hop = await scripted(script);
    const began = performance.now();
    const outcome = await ask(chainOf([hop]), [0], connectWithoutCredentials('127.0.0.1:9'), 300, httpStatus);
    expect(outcome.kind).toBe(kind);
    if (kind === 'answered') expect(outcome.inProtocol).toBe(false);
    expect(performance.now() - began).toBeLessThan(1000);
  });

  it('a hop that cannot be reached is "unreached", not silence', async () => {
    const outcome = await ask(
      chainOf(['http://127.0.0.1:1']),
      [0],
      connectWithoutCredentials('x:1'),
      300,
      httpStatus,
    );
    expect(outcome).toMatchObject({ kind: 'unreached', detail: 'HOP_UNREACHABLE' });
  });
});

describe("canary: the hop's own handshake for a destination it refuses by itself (port 0)", () => {
  it('a working hop answers in its own words, credentials included', async () => {
    const chain = chainOf([hopUrl('http', http, { user: USER, pass: SECRET })]);
    expect(await canary(chain, [0], { host: http.host, port: http.port }, 1000)).toMatchObject({
      kind: 'answered',
      inProtocol: true,
      detail: expect.stringMatching(/^CONNECT 127\.0\.0\.1:0: /),
    });
    const socksChain = chainOf([hopUrl('socks5', socks)]);
    expect(await canary(socksChain, [0], { host: socks.host, port: socks.port }, 1000)).toMatchObject({
      kind: 'answered',
      inProtocol: true,
      detail: expect.stringMatching(/^request 127\.0\.0\.1:0: SOCKS5 reply/),
    });
  });

  it('needs no onward connection: a hop whose egress is cut still answers it', async () => {
    const proxy = await startEgressCutProxy();
    servers.push(proxy);
    const chain = chainOf([
      hopUrl('http', { host: '127.0.0.1', port: proxy.port }, { user: USER, pass: SECRET }),
    ]);
    const outcome = await canary(chain, [0], { host: '127.0.0.1', port: proxy.port }, 1000);
    expect(outcome).toMatchObject({ kind: 'answered', detail: 'CONNECT 127.0.0.1:0: HTTP 400 Bad Request' });
    expect(proxy.requests[0]).toMatch(/^CONNECT 127\.0\.0\.1:0 HTTP\/1\.1\r\n/);
    expect(proxy.requests[0]).toMatch(/\r\nProxy-Authorization: Basic /i);
  });

  it('a SOCKS5 hop that closes on the request without a reply (ssh -D, or a relayed reset): asks again for its own address', async () => {
    const server = await startScripted([{ read: 3 }, { write: [5, 0] }, { read: 10 }, 'close']);
    servers.push(server);
    const chain = chainOf([`socks5://127.0.0.1:${server.port}`]);
    const outcome = await canary(chain, [0], { host: '127.0.0.1', port: server.port }, 1000);
    expect(outcome.detail).toBe(
      `request 127.0.0.1:0: closed without a reply; then request 127.0.0.1:${server.port}: TARGET_UNREACHABLE at the reply`,
    );
    expect(outcome.kind).not.toBe('answered');
  });

  it('a hop that answers nothing: silent, within its time', async () => {
    const hop = await scripted(['silent']);
    const began = performance.now();
    expect(await canary(chainOf([hop]), [0], { host: '127.0.0.1', port: 9 }, 300)).toMatchObject({
      kind: 'silent',
    });
    expect(performance.now() - began).toBeLessThan(1000);
  });

  it('a hop that cannot be reached is "unreached"', async () => {
    expect(
      await canary(chainOf(['http://127.0.0.1:1']), [0], { host: '127.0.0.1', port: 1 }, 300),
    ).toMatchObject({ kind: 'unreached', detail: 'HOP_UNREACHABLE' });
  });
});
