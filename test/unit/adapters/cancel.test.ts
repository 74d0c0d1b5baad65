/**
 * Cancelling while a tunnel is still opening: a request of chain.agent() that is aborted or
 * destroyed, and close()/destroy() of an agent or a dispatcher. A silent hop (or a silent
 * https target, for the TLS step) keeps the tunnel opening; the chain's own deadlines are
 * seconds away, so every prompt failure here is the cancellation's doing.
 */
import http from 'node:http';
import https from 'node:https';
import axios from 'axios';
import got from 'got';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDispatcher } from '../../../src/adapters/dispatcher.js';
import { Chain, ChainError } from '../../../src/index.js';
import { certs, type Fixture, startHostileServer } from '../../fixtures/index.js';
import { eventually, expectNoSecret, hopUrl } from '../../helpers.js';
import { type Env, startEnv } from './helpers.js';

let env: Env;
let silent: Fixture;
const chains: Chain[] = [];

beforeAll(async () => {
  env = await startEnv();
});
afterEach(async () => {
  await Promise.all(chains.splice(0).map((c) => c.close()));
  await silent?.close();
});
afterAll(() => env.close());

/** Where the tunnel stalls: the chain, and the URL to request through it. */
type Stall = (silent: Fixture) => { hops: string[]; url: string };

const STALLS: Array<[string, Stall]> = [
  ['a CONNECT through a silent SOCKS5 hop', (s) => ({ hops: [hopUrl('socks5', s)], url: originUrl() })],
  [
    'absolute-form to an HTTP last hop behind a silent hop',
    (s) => ({ hops: [hopUrl('socks5', s), env.hops.http], url: originUrl() }),
  ],
  [
    'TLS with a silent https target',
    (s) => ({ hops: [env.hops.socks5], url: `https://127.0.0.1:${s.port}/` }),
  ],
];

function originUrl(): string {
  return `http://127.0.0.1:${env.origin.port}/`;
}

/** Starts a silent server; the chain that stalls on it (deadlines 3 s and more away), and the URL. */
async function stalled(stall: Stall = (STALLS[0] as [string, Stall])[1]) {
  silent = await startHostileServer('silent');
  const { hops, url } = stall(silent);
  const chain = new Chain(hops, { ca: certs.ca, timeoutMs: 4000, hopTimeoutMs: 3000 });
  chains.push(chain);
  return { chain, url };
}

/** Waits until the silent server has bytes from us: a handshake (or TLS) is under way. */
const underway = () => eventually(() => silent.log.length > 0);

/** A GET through node:http(s); `failed` resolves with its 'error' (a response is a test failure). */
function open(url: string, options: https.RequestOptions) {
  const client = url.startsWith('https:') ? https : http;
  let req!: http.ClientRequest;
  const failed = new Promise<Error>((resolve, reject) => {
    req = client.get(url, options, () => reject(new Error('expected the request to fail')));
    req.on('error', resolve);
  });
  return { req, failed };
}

/** Runs `cancel` and resolves with what `failed` yields and how long it took. */
async function timed<T>(cancel: () => unknown, failed: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  cancel();
  const value = await failed;
  return { value, ms: performance.now() - started };
}

/** The half-open tunnel is gone: the silent server's connection closed (long before any deadline). */
const tunnelClosed = () => eventually(() => silent.open() === 0, 500);

function expectAborted(error: unknown): ChainError {
  expect(error).toBeInstanceOf(ChainError);
  expect((error as ChainError).code).toBe('ABORTED');
  expectNoSecret(error);
  return error as ChainError;
}

describe('chain.agent(): a request cancelled while its tunnel opens', () => {
  it.each(STALLS)('signal: fails at once with the AbortError of node:http (%s)', async (_name, stall) => {
    const { chain, url } = await stalled(stall);
    const controller = new AbortController();
    const { failed } = open(url, { agent: chain.agent({ ca: certs.ca }), signal: controller.signal });
    await underway();
    const { value: error, ms } = await timed(() => controller.abort(), failed);
    expect(ms).toBeLessThan(100);
    expect(error).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    await tunnelClosed();
  });

  it('req.destroy(): socket hang up (cause: ChainError ABORTED); req.destroy(error): that error', async () => {
    const { chain, url } = await stalled();
    const agent = chain.agent();
    const first = open(url, { agent });
    await underway();
    const hangUp = await timed(() => first.req.destroy(), first.failed);
    expect(hangUp.ms).toBeLessThan(100);
    expect(hangUp.value).toMatchObject({ message: 'socket hang up', code: 'ECONNRESET' });
    expectAborted(hangUp.value.cause);
    await tunnelClosed();

    const second = open(url, { agent });
    await eventually(() => silent.log.length > 1);
    const mine = new Error('given up');
    const given = await timed(() => second.req.destroy(mine), second.failed);
    expect(given.ms).toBeLessThan(100);
    expect(given.value).toBe(mine);
    await tunnelClosed();
  });

  it('a signal aborted before the request opens no tunnel', async () => {
    const { chain, url } = await stalled();
    const { failed } = open(url, { agent: chain.agent(), signal: AbortSignal.abort() });
    const { value: error, ms } = await timed(() => {}, failed);
    expect(ms).toBeLessThan(100);
    expect(error).toMatchObject({ name: 'AbortError' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(silent.connections).toBe(0);
  });

  it('got (its timeout) and axios (a signal) free the half-open tunnel at once', async () => {
    const { chain, url } = await stalled();
    const agent = chain.agent();
    const viaGot = got(url, { agent: { http: agent }, retry: { limit: 0 }, timeout: { request: 150 } });
    await expect(viaGot).rejects.toMatchObject({ name: 'TimeoutError' });
    await tunnelClosed();

    const controller = new AbortController();
    const viaAxios = axios.get(url, { httpAgent: agent, proxy: false, signal: controller.signal });
    await eventually(() => silent.open() === 1);
    controller.abort();
    await expect(viaAxios).rejects.toMatchObject({ name: 'CanceledError' });
    await tunnelClosed();
  });

  it.each(['close', 'destroy'] as const)(
    'agent.%s() aborts tunnels still opening; later requests open new ones',
    async (method) => {
      const { chain, url } = await stalled();
      const agent = chain.agent();
      const { failed } = open(url, { agent });
      await underway();
      const { value: error, ms } = await timed(() => agent[method](), failed);
      expect(ms).toBeLessThan(100);
      const verb = method === 'close' ? 'closed' : 'destroyed';
      expect((expectAborted(error).cause as Error).message).toMatch(`the agent was ${verb}`);
      await tunnelClosed();

      const controller = new AbortController();
      const later = open(url, { agent, signal: controller.signal });
      await eventually(() => silent.open() === 1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(silent.open()).toBe(1);
      controller.abort();
      await later.failed;
      await tunnelClosed();
    },
  );
});

/** Resolves with the cause of the TypeError a fetch failed with. */
async function fetchCause(promise: Promise<unknown>): Promise<unknown> {
  const error = await promise.then(
    () => new Error('expected fetch to fail'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TypeError);
  return (error as Error).cause;
}

describe('dispatcher: close() and destroy() while tunnels open', () => {
  it.each(STALLS)('chain.close() fails a pending chain.fetch() at once (%s)', async (_name, stall) => {
    const { chain, url } = await stalled(stall);
    const fetched = fetchCause(chain.fetch(url));
    await underway();
    const { ms } = await timed(() => {}, chain.close());
    expect(ms).toBeLessThan(200);
    const cause = expectAborted(await fetched);
    expect((cause.cause as Error).message).toMatch(/dispatcher was closed/);
    await tunnelClosed();
  });

  it('dispatcher.destroy() closes the half-open tunnel at once (undici fails the request itself)', async () => {
    const { chain, url } = await stalled();
    // Not one of the chain's: chain.close() would close it again, which undici refuses once it is done.
    const dispatcher = createDispatcher(chain);
    const requested = request(url, { dispatcher }).catch((e: unknown) => e);
    await underway();
    const { ms } = await timed(() => {}, dispatcher.destroy());
    expect(ms).toBeLessThan(200);
    expect(await requested).toMatchObject({ code: 'UND_ERR_DESTROYED' });
    await tunnelClosed();
  });

  it("an aborted fetch's tunnel still opening is freed by close()", async () => {
    const { chain, url } = await stalled();
    const dispatcher = createDispatcher(chain);
    const controller = new AbortController();
    const init = { dispatcher, signal: controller.signal } as unknown as RequestInit;
    const fetched = fetch(url, init).catch((e: unknown) => e);
    await underway();
    controller.abort();
    expect(await fetched).toMatchObject({ name: 'AbortError' });
    const { ms } = await timed(() => {}, dispatcher.close());
    expect(ms).toBeLessThan(200);
    await tunnelClosed();
  });
});

describe('chain.close() after the user closed a dispatcher', () => {
  it('resolves', async () => {
    const chain = new Chain(['socks5://127.0.0.1:1']);
    const dispatcher = chain.dispatcher();
    await dispatcher.close();
    await expect(chain.close()).resolves.toBeUndefined();
  });
});
