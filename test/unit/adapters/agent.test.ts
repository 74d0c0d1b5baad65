/** chain.agent(): an http.Agent whose sockets are tunnels; TLS with the target; absolute-form; pooling. */
import http from 'node:http';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChainAgent } from '../../../src/adapters/http-agent.js';
import { Chain, type ChainOptions } from '../../../src/index.js';
import {
  certs,
  closedPort,
  type Fixture,
  startHostileServer,
  startHttpOrigin,
  startHttpProxy,
} from '../../fixtures/index.js';
import { eventually, expectChainError, expectNoSecret, hopUrl, SECRET, USER } from '../../helpers.js';
import { type Echoed, type Env, get, startEnv, startRelay, startSniOrigin } from './helpers.js';

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

async function use<T extends Fixture>(fixture: Promise<T>): Promise<T> {
  const started = await fixture;
  extra.push(started);
  return started;
}

const since = (log: Fixture['log'], from: number) => log.slice(from);

describe('https targets: TLS is between the client and the target', () => {
  it('sends the target name as SNI, never the proxy name', async () => {
    const sni = await use(startSniOrigin());
    // The https hop is reached by the name localhost; the target by name, then by IP.
    const agent = chainOf([env.hops.https, env.hops.socks5]).agent({ ca: certs.ca });
    const byName = await get(`https://localhost:${sni.port}/`, { agent });
    expect(JSON.parse(byName.body)).toEqual({ servername: 'localhost' });
    const byIp = await get(`https://127.0.0.1:${sni.port}/`, { agent });
    expect(JSON.parse(byIp.body)).toEqual({ servername: null });
  });

  it("checks the certificate against the target's name", async () => {
    const wrong = await use(startHttpOrigin({ tls: certs.wrongHost }));
    const agent = chainOf([env.hops.https, env.hops.socks5]).agent({ ca: certs.ca });
    const error = await expectChainError(get(`https://localhost:${wrong.port}/`, { agent }), {
      code: 'TLS_FAILED',
      hopIndex: -1,
      phase: 'tls',
    });
    expect(error.target).toBe(`localhost:${wrong.port}`);
    expect(error.message).toMatch(/target localhost:\d+/);
    // The request's own TLS options apply to the target.
    const relaxed = await get(`https://localhost:${wrong.port}/`, { agent, rejectUnauthorized: false });
    expect(relaxed.status).toBe(200);
  });

  it("uses the chain's ca for hops and the request's ca for the target", async () => {
    // The chain trusts the test CA for its https hop; the agent has no ca of its own.
    const agent = chainOf([env.hops.https, env.hops.socks5]).agent();
    const url = `https://localhost:${env.secureOrigin.port}/ca`;
    await expectChainError(get(url, { agent }), { code: 'TLS_FAILED', hopIndex: -1 });
    const reply = await get(url, { agent, ca: certs.ca });
    expect(JSON.parse(reply.body)).toMatchObject({ url: '/ca' });
  });
});

describe('plain http:// behind an HTTP proxy last hop', () => {
  it('goes to that proxy in absolute-form with its credentials; the origin never sees them', async () => {
    const from = env.http.log.length;
    const agent = chainOf([env.hops.socks5, env.hops.http]).agent();
    const reply = await get(`http://127.0.0.1:${env.origin.port}/abs?q=1`, { agent });
    const echoed = JSON.parse(reply.body) as Echoed;
    expect(echoed.url).toBe('/abs?q=1');
    expect(echoed.headers['proxy-authorization']).toBeUndefined();
    expectNoSecret(reply.body);
    const seen = since(env.http.log, from);
    const request = seen.find((e) => e.type === 'request');
    expect(request).toMatchObject({ method: 'GET', url: `http://127.0.0.1:${env.origin.port}/abs?q=1` });
    expect(request?.headers).toHaveProperty('proxy-authorization', expect.stringMatching(/^Basic /));
    expect(seen.some((e) => e.type === 'connect')).toBe(false);
  });

  it("tunnels with CONNECT instead when the agent's forwarding is 'connect'", async () => {
    const from = env.http.log.length;
    const agent = chainOf([env.hops.socks5, env.hops.http]).agent({ forwarding: 'connect' });
    const reply = await get(`http://127.0.0.1:${env.origin.port}/tunnel`, { agent });
    expect(JSON.parse(reply.body)).toMatchObject({ url: '/tunnel' });
    const seen = since(env.http.log, from);
    expect(seen.find((e) => e.type === 'connect')).toMatchObject({ target: `127.0.0.1:${env.origin.port}` });
    expect(seen.some((e) => e.type === 'request')).toBe(false);
  });

  it.each([
    ["the chain's httpForwarding: 'connect'", { httpForwarding: 'connect' as const }],
    ['a last hop that varies (mode round_robin)', { mode: 'round_robin' as const, chainLength: 2 }],
  ])('tunnels with CONNECT given %s', async (_name, options) => {
    const from = env.http.log.length;
    const agent = chainOf([env.hops.socks5, env.hops.http], options).agent();
    const reply = await get(`http://127.0.0.1:${env.origin.port}/varies`, { agent });
    expect(JSON.parse(reply.body)).toMatchObject({ url: '/varies' });
    const seen = since(env.http.log, from);
    expect(seen.some((e) => e.type === 'connect')).toBe(true);
    expect(seen.some((e) => e.type === 'request')).toBe(false);
  });

  it('connects directly to targets the chain exempts (noProxy), never via the proxy', async () => {
    const from = { http: env.http.log.length, socks5: env.socks5.connections };
    const agent = chainOf([env.hops.socks5, env.hops.http], { noProxy: '127.0.0.1' }).agent();
    const reply = await get(`http://127.0.0.1:${env.origin.port}/direct`, { agent });
    expect(JSON.parse(reply.body)).toMatchObject({ url: '/direct' });
    expect(env.http.log.length).toBe(from.http);
    expect(env.socks5.connections).toBe(from.socks5);
  });

  it('sends no Proxy-Authorization to a last hop without credentials', async () => {
    const open = await use(startHttpProxy());
    const agent = chainOf([env.hops.socks5, hopUrl('http', open)]).agent();
    const reply = await get(`http://127.0.0.1:${env.origin.port}/open`, { agent });
    expect(reply.status).toBe(200);
    const request = open.log.find((e) => e.type === 'request');
    expect(request?.url).toBe(`http://127.0.0.1:${env.origin.port}/open`);
    expect(request?.headers).not.toHaveProperty('proxy-authorization');
  });

  it('turns the last hop 407 into AUTH_FAILED (wrong password) or AUTH_REQUIRED (none) at that hop', async () => {
    const url = `http://127.0.0.1:${env.origin.port}/auth`;
    const wrong = hopUrl('http', env.http, { user: USER, pass: `${SECRET}x` });
    const agent = chainOf([env.hops.socks5, wrong]).agent();
    const failed = await expectChainError(get(url, { agent }), { code: 'AUTH_FAILED', hopIndex: 1 });
    expect(failed.reply).toMatch(/^HTTP 407/);
    const anonymous = chainOf([env.hops.socks5, hopUrl('http', env.http)]).agent();
    await expectChainError(get(url, { agent: anonymous }), { code: 'AUTH_REQUIRED', hopIndex: 1 });
  });

  it("names forwarding: 'connect' when the last hop wants Digest, which then works", async () => {
    const digest = await use(
      startHttpProxy({ auth: { username: USER, password: SECRET }, scheme: 'digest' }),
    );
    const hops = [env.hops.socks5, hopUrl('http', digest, { user: USER, pass: SECRET })];
    const url = `http://127.0.0.1:${env.origin.port}/digest`;
    const error = await expectChainError(get(url, { agent: chainOf(hops).agent() }), {
      code: 'AUTH_FAILED',
      hopIndex: 1,
    });
    expect(error.message).toMatch(/Digest.*forwarding: 'connect'/);
    const reply = await get(url, { agent: chainOf(hops).agent({ forwarding: 'connect' }) });
    expect(JSON.parse(reply.body)).toMatchObject({ url: '/digest' });
  });

  it('rewrites a request whose head was rendered early (array headers)', async () => {
    const from = env.http.log.length;
    const agent = chainOf([env.hops.socks5, env.hops.http]).agent();
    const host = `127.0.0.1:${env.origin.port}`;
    const reply = await new Promise<string>((resolve, reject) => {
      http
        .get(`http://${host}/array`, { agent, headers: ['Host', host, 'X-Array', 'yes'] }, (res) => {
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve(body));
        })
        .on('error', reject);
    });
    expect(JSON.parse(reply)).toMatchObject({ url: '/array', headers: { 'x-array': 'yes' } });
    expect(JSON.parse(reply).headers).not.toHaveProperty('proxy-authorization');
    const request = since(env.http.log, from).find((e) => e.type === 'request');
    expect(request?.url).toBe(`http://${host}/array`);
    expect(request?.headers).toHaveProperty('proxy-authorization');
  });

  it('writes IPv6 targets in brackets', async () => {
    const v6 = await use(startHttpOrigin({ host: '::1' }));
    const from = env.http.log.length;
    const agent = chainOf([env.hops.socks5, env.hops.http]).agent();
    const reply = await get(`http://[::1]:${v6.port}/v6`, { agent });
    expect(JSON.parse(reply.body)).toMatchObject({ url: '/v6' });
    expect(since(env.http.log, from).find((e) => e.type === 'request')?.url).toBe(
      `http://[::1]:${v6.port}/v6`,
    );
  });

  it('keeps https:// targets on CONNECT', async () => {
    const from = env.http.log.length;
    const agent = chainOf([env.hops.socks5, env.hops.http]).agent({ ca: certs.ca });
    const reply = await get(`https://localhost:${env.secureOrigin.port}/secure`, { agent });
    expect(JSON.parse(reply.body)).toMatchObject({ url: '/secure' });
    const seen = since(env.http.log, from);
    expect(seen.find((e) => e.type === 'connect')).toMatchObject({
      target: `localhost:${env.secureOrigin.port}`,
    });
    expect(seen.some((e) => e.type === 'request')).toBe(false);
  });
});

describe('pooling', () => {
  it.each([
    ['https', 'https://localhost:PORT/n', {}],
    ['http (CONNECT)', 'http://127.0.0.1:PORT/n', { forwarding: 'connect' as const }],
  ])('keep-alive: 5 sequential %s requests use one tunnel', async (kind, template, options) => {
    const relay = await use(startRelay(env.socks5.port));
    const relayed = hopUrl('socks5', relay, { user: USER, pass: SECRET });
    const agent = chainOf([relayed, env.hops.http]).agent({ keepAlive: true, ca: certs.ca, ...options });
    const port = kind === 'https' ? env.secureOrigin.port : env.origin.port;
    for (let i = 0; i < 5; i++) {
      expect((await get(template.replace('PORT', String(port)), { agent })).status).toBe(200);
    }
    expect(relay.connections).toBe(1);
  });

  it('maxSockets bounds the tunnels opened for parallel requests', async () => {
    const relay = await use(startRelay(env.socks5.port));
    const relayed = hopUrl('socks5', relay, { user: USER, pass: SECRET });
    const agent = chainOf([relayed, env.hops.http]).agent({ keepAlive: true, maxSockets: 2, ca: certs.ca });
    const url = `https://localhost:${env.secureOrigin.port}/parallel`;
    const replies = await Promise.all(Array.from({ length: 6 }, () => get(url, { agent })));
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(relay.connections).toBe(2);
  });

  it('drops an idle tunnel whose hop died; the next request opens a new one', async () => {
    const relay = await use(startRelay(env.socks5.port));
    const relayed = hopUrl('socks5', relay, { user: USER, pass: SECRET });
    const agent = chainOf([relayed, env.hops.http]).agent({ keepAlive: true, ca: certs.ca }) as ChainAgent;
    const url = `https://localhost:${env.secureOrigin.port}/revive`;
    expect((await get(url, { agent })).status).toBe(200);
    expect(Object.values(agent.freeSockets).flat()).toHaveLength(1);
    relay.cut();
    await eventually(() => Object.values(agent.freeSockets).flat().length === 0);
    expect((await get(url, { agent })).status).toBe(200);
    expect(relay.connections).toBe(2);
  });

  it('chain.close() frees every pooled tunnel', async () => {
    const relay = await use(startRelay(env.socks5.port));
    const relayed = hopUrl('socks5', relay, { user: USER, pass: SECRET });
    const chain = chainOf([relayed, env.hops.socks5]);
    const agent = chain.agent({ keepAlive: true, ca: certs.ca });
    await get(`https://localhost:${env.secureOrigin.port}/a`, { agent });
    await get(`http://127.0.0.1:${env.origin.port}/b`, { agent });
    expect(relay.open()).toBe(2);
    await chain.close();
    await eventually(() => relay.open() === 0);
    // Later requests still work, without pooling.
    expect((await get(`http://127.0.0.1:${env.origin.port}/c`, { agent })).status).toBe(200);
    await eventually(() => relay.open() === 0);
  });
});

describe('errors', () => {
  it('a dead first hop fails the request with the ChainError (HOP_UNREACHABLE at hop 0)', async () => {
    const port = await closedPort();
    const dead = `socks5://${USER}:${encodeURIComponent(SECRET)}@127.0.0.1:${port}`;
    const agent = chainOf([dead, env.hops.http]).agent();
    for (const url of [
      `http://127.0.0.1:${env.origin.port}/`,
      `https://localhost:${env.secureOrigin.port}/`,
    ]) {
      const error = await expectChainError(get(url, { agent }), { code: 'HOP_UNREACHABLE', hopIndex: 0 });
      expect(error.hop).toBe(`socks5://${USER}:***@127.0.0.1:${port}`);
    }
  });

  it('a hop that rejects the credentials on CONNECT fails with AUTH_FAILED at that hop', async () => {
    const wrong = hopUrl('socks5', env.socks5, { user: USER, pass: 'nope' });
    const agent = chainOf([env.hops.http, wrong]).agent();
    await expectChainError(get(`http://127.0.0.1:${env.origin.port}/`, { agent }), {
      code: 'AUTH_FAILED',
      hopIndex: 1,
    });
  });

  it("a silent hop fails with HOP_TIMEOUT within the agent's timeoutMs", async () => {
    const silent = await use(startHostileServer('silent'));
    const agent = chainOf([hopUrl('socks5', silent)]).agent({ timeoutMs: 200 });
    const started = Date.now();
    await expectChainError(get(`http://127.0.0.1:${env.origin.port}/`, { agent }), { code: 'HOP_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it.each([
    [{ maxSockets: 0 }, /maxSockets/],
    [{ maxSockets: 1.5 }, /maxSockets/],
    [{ timeoutMs: -1 }, /timeoutMs/],
    [{ forwarding: 'tunnel' }, /forwarding must be 'absolute' or 'connect'/],
  ])('rejects bad options %o with INVALID_CONFIG', (options, message) => {
    const chain = chainOf([env.hops.http]);
    expect(() => chain.agent(options as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', message: expect.stringMatching(message) }),
    );
  });

  it('shows no credential in its inspect output', () => {
    const agent = chainOf([env.hops.socks5, env.hops.http]).agent({ keepAlive: true });
    expectNoSecret(inspect(agent, { depth: 5, showHidden: true }));
  });
});
