/** chain.dispatcher() and chain.fetch(): Node's global fetch and undici.request through the chain. */

import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChainDispatcherOptions } from '../../../src/adapters/dispatcher.js';
import { Chain, ChainError, type ChainOptions } from '../../../src/index.js';
import {
  certs,
  closedPort,
  type Fixture,
  patternBytes,
  startHostileServer,
  startHttpOrigin,
  startHttpProxy,
} from '../../fixtures/index.js';
import { eventually, expectNoSecret, hopUrl, SECRET, USER } from '../../helpers.js';
import { type Echoed, type Env, startEnv, startRelay, startSniOrigin } from './helpers.js';

let env: Env;
const extra: Fixture[] = [];
const chains: Chain[] = [];

beforeAll(async () => {
  env = await startEnv();
});
afterEach(async () => {
  await Promise.all(chains.splice(0).map((c) => c.close()));
  await Promise.all(extra.splice(0).map((f) => f.close()));
});
afterAll(() => env.close());

function chainOf(hops: string[], options: ChainOptions = {}): Chain {
  const chain = new Chain(hops, { ca: certs.ca, timeoutMs: 5000, hopTimeoutMs: 3000, ...options });
  chains.push(chain);
  return chain;
}

function dispatcherOf(hops: string[], options: ChainDispatcherOptions = { ca: certs.ca }) {
  return chainOf(hops).dispatcher(options);
}

async function use<T extends Fixture>(fixture: Promise<T>): Promise<T> {
  const started = await fixture;
  extra.push(started);
  return started;
}

/** The global fetch (Node's bundled undici) with our undici 7 dispatcher. */
function fetchWith(url: string, dispatcher: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, dispatcher } as RequestInit);
}

/** Resolves with the ChainError a fetch failed with (as the cause of its TypeError). */
async function fetchError(promise: Promise<unknown>): Promise<ChainError> {
  const error = await promise.then(
    () => {
      throw new Error('expected fetch to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TypeError);
  const cause = (error as Error).cause;
  expect(cause).toBeInstanceOf(ChainError);
  expectNoSecret(cause);
  return cause as ChainError;
}

const since = (log: Fixture['log'], from: number) => log.slice(from);

describe('plain http:// behind an HTTP proxy last hop', () => {
  it('goes to that proxy in absolute-form, with the target as Host; the origin sees no credentials', async () => {
    const from = env.http.log.length;
    const dispatcher = dispatcherOf([env.hops.socks5, env.hops.http]);
    const response = await fetchWith(`http://127.0.0.1:${env.origin.port}/abs?x=1`, dispatcher);
    const echoed = (await response.json()) as Echoed;
    expect(echoed).toMatchObject({ url: '/abs?x=1', headers: { host: `127.0.0.1:${env.origin.port}` } });
    expect(echoed.headers).not.toHaveProperty('proxy-authorization');
    const seen = since(env.http.log, from);
    const forwarded = seen.find((e) => e.type === 'request');
    expect(forwarded).toMatchObject({ url: `http://127.0.0.1:${env.origin.port}/abs?x=1` });
    expect(forwarded?.headers).toHaveProperty('proxy-authorization', expect.stringMatching(/^Basic /));
    expect(seen.some((e) => e.type === 'connect')).toBe(false);
  });

  it('carries a request body (POST) in absolute-form', async () => {
    const dispatcher = dispatcherOf([env.hops.socks5, env.hops.http]);
    const response = await fetchWith(`http://127.0.0.1:${env.origin.port}/echo`, dispatcher, {
      method: 'POST',
      body: 'posted through the proxy',
    });
    expect(await response.text()).toBe('posted through the proxy');
  });

  it("tunnels with CONNECT instead when the dispatcher's forwarding is 'connect'", async () => {
    const from = env.http.log.length;
    const dispatcher = dispatcherOf([env.hops.socks5, env.hops.http], { forwarding: 'connect' });
    const { statusCode, body } = await request(`http://127.0.0.1:${env.origin.port}/t`, { dispatcher });
    expect(statusCode).toBe(200);
    expect(await body.json()).toMatchObject({ url: '/t' });
    const seen = since(env.http.log, from);
    expect(seen.find((e) => e.type === 'connect')).toMatchObject({ target: `127.0.0.1:${env.origin.port}` });
    expect(seen.some((e) => e.type === 'request')).toBe(false);
  });

  it.each([
    ["the chain's httpForwarding: 'connect'", { httpForwarding: 'connect' as const }],
    ['a last hop that varies (mode round_robin)', { mode: 'round_robin' as const, chainLength: 2 }],
  ])('tunnels with CONNECT given %s', async (_name, options) => {
    const from = env.http.log.length;
    const dispatcher = chainOf([env.hops.socks5, env.hops.http], options).dispatcher();
    const response = await fetchWith(`http://127.0.0.1:${env.origin.port}/varies`, dispatcher);
    expect(await response.json()).toMatchObject({ url: '/varies' });
    const seen = since(env.http.log, from);
    expect(seen.some((e) => e.type === 'connect')).toBe(true);
    expect(seen.some((e) => e.type === 'request')).toBe(false);
  });

  it('connects directly to targets the chain exempts (noProxy), never via the proxy', async () => {
    const from = { http: env.http.log.length, socks5: env.socks5.connections };
    const dispatcher = chainOf([env.hops.socks5, env.hops.http], { noProxy: '127.0.0.1' }).dispatcher();
    const response = await fetchWith(`http://127.0.0.1:${env.origin.port}/direct`, dispatcher);
    expect(await response.json()).toMatchObject({ url: '/direct' });
    expect(env.http.log.length).toBe(from.http);
    expect(env.socks5.connections).toBe(from.socks5);
  });

  it('turns the last hop 407 into AUTH_FAILED at that hop, for fetch and undici.request', async () => {
    const wrong = hopUrl('http', env.http, { user: USER, pass: `${SECRET}x` });
    const dispatcher = dispatcherOf([env.hops.socks5, wrong]);
    const url = `http://127.0.0.1:${env.origin.port}/`;
    const cause = await fetchError(fetchWith(url, dispatcher));
    expect(cause).toMatchObject({
      code: 'AUTH_FAILED',
      hopIndex: 1,
      reply: expect.stringMatching(/^HTTP 407/),
    });
    const direct = await request(url, { dispatcher }).catch((e: unknown) => e);
    expect(direct).toBeInstanceOf(ChainError);
    expect(direct).toMatchObject({ code: 'AUTH_FAILED', hopIndex: 1 });
  });
  it("names forwarding: 'connect' when the last hop wants Digest", async () => {
    const digest = await use(
      startHttpProxy({ auth: { username: USER, password: SECRET }, scheme: 'digest' }),
    );
    const dispatcher = dispatcherOf([env.hops.socks5, hopUrl('http', digest, { user: USER, pass: SECRET })]);
    const cause = await fetchError(fetchWith(`http://127.0.0.1:${env.origin.port}/`, dispatcher));
    expect(cause).toMatchObject({ code: 'AUTH_FAILED', hopIndex: 1 });
    expect(cause.message).toMatch(/Digest.*forwarding: 'connect'/);
  });
});

describe('https targets', () => {
  it('sends the target name as SNI, never the proxy name', async () => {
    const sni = await use(startSniOrigin());
    const dispatcher = dispatcherOf([env.hops.https, env.hops.socks5]);
    expect(await (await fetchWith(`https://localhost:${sni.port}/`, dispatcher)).json()).toEqual({
      servername: 'localhost',
    });
    expect(await (await fetchWith(`https://127.0.0.1:${sni.port}/`, dispatcher)).json()).toEqual({
      servername: null,
    });
  });

  it("checks the certificate against the target's name, with the dispatcher's ca", async () => {
    const wrong = await use(startHttpOrigin({ tls: certs.wrongHost }));
    const dispatcher = dispatcherOf([env.hops.https, env.hops.socks5]);
    const cause = await fetchError(fetchWith(`https://localhost:${wrong.port}/`, dispatcher));
    expect(cause).toMatchObject({ code: 'TLS_FAILED', hopIndex: -1, target: `localhost:${wrong.port}` });
    // The chain's ca is for hops: a dispatcher without one does not trust the target.
    const untrusting = dispatcherOf([env.hops.https, env.hops.socks5], {});
    const url = `https://localhost:${env.secureOrigin.port}/`;
    expect(await fetchError(fetchWith(url, untrusting))).toMatchObject({ code: 'TLS_FAILED', hopIndex: -1 });
    const relaxed = dispatcherOf([env.hops.https, env.hops.socks5], { rejectUnauthorized: false });
    expect((await fetchWith(url, relaxed)).status).toBe(200);
  });
});

describe('pooling', () => {
  async function relayedChain() {
    const relay = await use(startRelay(env.socks5.port));
    return { relay, hops: [hopUrl('socks5', relay, { user: USER, pass: SECRET }), env.hops.http] };
  }

  it('keep-alive: 5 sequential requests use one tunnel (https, and http with CONNECT)', async () => {
    const { relay, hops } = await relayedChain();
    const dispatcher = dispatcherOf(hops, { ca: certs.ca, forwarding: 'connect' });
    for (let i = 0; i < 5; i++) {
      expect((await fetchWith(`https://localhost:${env.secureOrigin.port}/${i}`, dispatcher)).status).toBe(
        200,
      );
      const { body } = await request(`http://127.0.0.1:${env.origin.port}/${i}`, { dispatcher });
      await body.text();
    }
    expect(relay.connections).toBe(2);
  });

  it('connections bounds the tunnels opened for parallel requests', async () => {
    const { relay, hops } = await relayedChain();
    const dispatcher = dispatcherOf(hops, { ca: certs.ca, connections: 2 });
    const url = `https://localhost:${env.secureOrigin.port}/parallel`;
    const statuses = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const response = await fetchWith(url, dispatcher);
        await response.arrayBuffer();
        return response.status;
      }),
    );
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    expect(relay.connections).toBe(2);
  });

  it('drops an idle tunnel whose hop died; the next request opens a new one', async () => {
    const { relay, hops } = await relayedChain();
    const dispatcher = dispatcherOf(hops);
    const url = `https://localhost:${env.secureOrigin.port}/revive`;
    await (await fetchWith(url, dispatcher)).arrayBuffer();
    expect(relay.open()).toBe(1);
    relay.cut();
    await eventually(() => relay.open() === 0);
    // Let undici see the close before the next request picks a connection.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await fetchWith(url, dispatcher)).status).toBe(200);
    expect(relay.connections).toBe(2);
  });

  it('chain.fetch() shares one dispatcher; chain.close() frees its tunnels', async () => {
    const { relay, hops } = await relayedChain();
    const chain = chainOf(hops, { ca: certs.ca });
    for (let i = 0; i < 3; i++) {
      const response = await chain.fetch(`http://127.0.0.1:${env.origin.port}/via-chain-fetch`);
      expect(await response.json()).toMatchObject({ url: '/via-chain-fetch' });
    }
    // Absolute-form through the relayed first hop: the fixture proxy closes after each request.
    expect(relay.connections).toBe(3);
    const secure = chain.dispatcher({ ca: certs.ca });
    await (await fetchWith(`https://localhost:${env.secureOrigin.port}/`, secure)).arrayBuffer();
    expect(relay.open()).toBe(1);
    await chain.close();
    await eventually(() => relay.open() === 0);
  });
});

describe('errors', () => {
  it('a dead first hop: fetch fails with the ChainError as cause; undici.request rejects with it', async () => {
    const port = await closedPort();
    const dead = `socks5://${USER}:${encodeURIComponent(SECRET)}@127.0.0.1:${port}`;
    const dispatcher = dispatcherOf([dead, env.hops.http]);
    for (const url of [
      `http://127.0.0.1:${env.origin.port}/`,
      `https://localhost:${env.secureOrigin.port}/`,
    ]) {
      const cause = await fetchError(fetchWith(url, dispatcher));
      expect(cause).toMatchObject({
        code: 'HOP_UNREACHABLE',
        hopIndex: 0,
        hop: `socks5://${USER}:***@127.0.0.1:${port}`,
      });
      const direct = await request(url, { dispatcher }).catch((e: unknown) => e);
      expect(direct).toMatchObject({ code: 'HOP_UNREACHABLE', hopIndex: 0 });
    }
  });

  it("a silent hop fails with HOP_TIMEOUT within the dispatcher's timeoutMs", async () => {
    const silent = await use(startHostileServer('silent'));
    const dispatcher = dispatcherOf([hopUrl('socks5', silent)], { timeoutMs: 200 });
    const started = Date.now();
    const cause = await fetchError(fetchWith(`http://127.0.0.1:${env.origin.port}/`, dispatcher));
    expect(cause.code).toBe('HOP_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it.each([
    [{ connections: 0 }, /connections/],
    [{ timeoutMs: 0 }, /timeoutMs/],
    [{ forwarding: 'absolute-form' }, /forwarding must be 'absolute' or 'connect'/],
  ])('rejects bad options %o with INVALID_CONFIG', (options, message) => {
    const chain = chainOf([env.hops.http]);
    expect(() => chain.dispatcher(options as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', message: expect.stringMatching(message) }),
    );
  });
});

describe('streams', () => {
  it('streams a response body as it arrives', async () => {
    const dispatcher = dispatcherOf([env.hops.https, env.hops.socks5]);
    const size = 4 * 1024 * 1024;
    const response = await fetchWith(`https://localhost:${env.secureOrigin.port}/bytes/${size}`, dispatcher);
    let chunks = 0;
    const received: Buffer[] = [];
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      chunks++;
      received.push(Buffer.from(chunk));
    }
    expect(chunks).toBeGreaterThan(1);
    expect(Buffer.concat(received).equals(patternBytes(size))).toBe(true);
  });
});
