/** Retries of tunnel setup: backoff, bounds, what is never retried, aborts, and nothing after the tunnel is up. */
import diagnostics from 'node:diagnostics_channel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRetry, withRetries } from '../../../src/chain/retry.js';
import { Chain, type ChainOptions } from '../../../src/index.js';
import {
  closedPort,
  type Fixture,
  startEchoServer,
  startHostileServer,
  startHttpProxy,
  startSocksServer,
} from '../../fixtures/index.js';
import { echo, eventually, expectChainError, hopUrl, openTcpHandles, SECRET, USER } from '../../helpers.js';
import { startFlaky } from './flaky.js';

const fixtures: Fixture[] = [];
const closers: Array<() => Promise<void>> = [];
let echoServer: Fixture;
let socks: Fixture;

beforeAll(async () => {
  echoServer = await startEchoServer();
  socks = await startSocksServer({ versions: [5] });
  fixtures.push(echoServer, socks);
});

afterAll(async () => {
  await Promise.all([...fixtures.map((f) => f.close()), ...closers.map((close) => close())]);
});

async function flaky(failFirst: number) {
  const server = await startFlaky(socks.port, failFirst);
  closers.push(server.close);
  return server;
}

const fast: ChainOptions = { timeoutMs: 5000, hopTimeoutMs: 2000 };
const target = () => `127.0.0.1:${echoServer.port}`;

describe('retries', () => {
  it('none by default: the first failure stands', async () => {
    const proxy = await flaky(1);
    const chain = new Chain(`socks5://127.0.0.1:${proxy.port}`, fast);
    await expectChainError(chain.connect(target()), { code: 'PROTOCOL_ERROR', hopIndex: 0 });
    expect(proxy.accepted).toHaveLength(1);
  });

  it('retries tunnel setup until it gets through, with growing pauses', async () => {
    const proxy = await flaky(3);
    const chain = new Chain(`socks5://127.0.0.1:${proxy.port}`, {
      ...fast,
      retries: { retries: 5, minTimeout: 40, factor: 2, randomize: false },
    });
    const socket = await chain.connect(target());
    expect(await echo(socket, 'after three failures')).toBe('after three failures');
    socket.destroy();
    expect(proxy.accepted).toHaveLength(4);
    const gaps = proxy.accepted.slice(1).map((at, i) => at - (proxy.accepted[i] as number));
    expect(gaps[0]).toBeGreaterThanOrEqual(35);
    expect(gaps[1]).toBeGreaterThanOrEqual(75);
    expect(gaps[2]).toBeGreaterThanOrEqual(155);
  });

  it('gives up after the given count, with the last failure', async () => {
    const proxy = await flaky(10);
    const chain = new Chain(`socks5://127.0.0.1:${proxy.port}`, {
      ...fast,
      retries: { retries: 2, minTimeout: 1 },
    });
    await expectChainError(chain.connect(target()), { code: 'PROTOCOL_ERROR' });
    expect(proxy.accepted).toHaveLength(3);
  });

  it('never outlives the overall deadline, pauses included', async () => {
    const chain = new Chain(`socks5://127.0.0.1:${await closedPort()}`, {
      timeoutMs: 300,
      retries: { retries: 1000, minTimeout: 50, randomize: false, factor: 1 },
    });
    const started = performance.now();
    await expectChainError(chain.connect(target()), { code: 'HOP_UNREACHABLE' });
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(1000);
  });

  it('honours maxRetryTime', async () => {
    const proxy = await flaky(1000);
    const chain = new Chain(`socks5://127.0.0.1:${proxy.port}`, {
      ...fast,
      retries: { retries: 1000, minTimeout: 20, factor: 1, randomize: false, maxRetryTime: 100 },
    });
    await expectChainError(chain.connect(target()), { code: 'PROTOCOL_ERROR' });
    expect(proxy.accepted.length).toBeGreaterThan(1);
    expect(proxy.accepted.length).toBeLessThan(10);
  });

  it('SOCKSCHAIN-style count: retries: 2 is a number of retries', () => {
    expect(new Chain('socks5://127.0.0.1:1', { retries: 2 }).options.retries.retries).toBe(2);
  });
});

describe('never retried', () => {
  const options = { ...fast, retries: { retries: 3, minTimeout: 1 } };

  it('AUTH_FAILED', async () => {
    const proxy = await startSocksServer({ versions: [5], auth: { username: USER, password: 'right' } });
    fixtures.push(proxy);
    const chain = new Chain(hopUrl('socks5', proxy, { user: USER, pass: SECRET }), options);
    await expectChainError(chain.connect(target()), { code: 'AUTH_FAILED' });
    expect(proxy.connections).toBe(1);
  });

  it('AUTH_REQUIRED', async () => {
    const proxy = await startHttpProxy({ auth: { username: USER, password: SECRET } });
    fixtures.push(proxy);
    await expectChainError(new Chain(hopUrl('http', proxy), options).connect(target()), {
      code: 'AUTH_REQUIRED',
    });
    expect(proxy.connections).toBe(1);
  });

  it('PROXY_DENIED', async () => {
    const proxy = await startHttpProxy({ deny: () => true });
    fixtures.push(proxy);
    await expectChainError(new Chain(hopUrl('http', proxy), options).connect(target()), {
      code: 'PROXY_DENIED',
    });
    expect(proxy.connections).toBe(1);
  });

  it('INVALID_CONFIG', async () => {
    const proxy = await startSocksServer({ versions: [4] });
    fixtures.push(proxy);
    const chain = new Chain(hopUrl('socks4', proxy), options);
    await expectChainError(chain.connect(`localhost:${echoServer.port}`), { code: 'INVALID_CONFIG' });
    expect(proxy.connections).toBe(0);
  });

  it('ABORTED, also while waiting to retry, without waiting out the pause', async () => {
    const proxy = await flaky(1000);
    const chain = new Chain(`socks5://127.0.0.1:${proxy.port}`, {
      ...fast,
      retries: { retries: 5, minTimeout: 10_000 },
    });
    const controller = new AbortController();
    // The first attempt has failed (and the 10 s pause begun) once its hop:failed event is out;
    // aborting on the accept alone could land in that attempt's handshake on a loaded machine.
    let failed = 0;
    const onFailed = () => failed++;
    diagnostics.subscribe('sockschain:hop:failed', onFailed);
    const pending = chain.connect(target(), { signal: controller.signal });
    try {
      await eventually(() => proxy.accepted.length === 1 && failed === 1);
    } finally {
      diagnostics.unsubscribe('sockschain:hop:failed', onFailed);
    }
    const started = performance.now();
    controller.abort();
    const error = await expectChainError(pending, { code: 'ABORTED' });
    expect(error.message).toMatch(/aborted while waiting to retry/);
    expect(performance.now() - started).toBeLessThan(500);
    expect(proxy.accepted).toHaveLength(1);
  });

  it('an already aborted signal fails at once', async () => {
    const chain = new Chain(hopUrl('socks5', socks), options);
    await expectChainError(chain.connect(target(), { signal: AbortSignal.abort() }), { code: 'ABORTED' });
  });
});

describe('withRetries', () => {
  it('frees a result that arrives as the signal aborts, and rejects with ABORTED', async () => {
    const controller = new AbortController();
    const freed: string[] = [];
    const pending = withRetries(
      async () => {
        controller.abort();
        return 'tunnel';
      },
      {
        retry: resolveRetry(2),
        signal: controller.signal,
        timeoutMs: 1000,
        discard: (value) => freed.push(value),
      },
    );
    await expectChainError(pending, { code: 'ABORTED' });
    expect(freed).toEqual(['tunnel']);
  });
});

describe('once the tunnel is up', () => {
  it('a failure on it is never retried: no new connection is made', async () => {
    const hostile = await startHostileServer('reset-after-ok', { resetDelayMs: 30 });
    fixtures.push(hostile);
    const chain = new Chain(hopUrl('http', hostile), { ...fast, retries: { retries: 5, minTimeout: 1 } });
    const socket = await chain.connect(target());
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.on('error', () => {});
    socket.write('application bytes');
    await closed;
    await new Promise((r) => setTimeout(r, 50));
    expect(hostile.connections).toBe(1);
  });

  it('leaves no socket open after retries that all failed', async () => {
    const before = openTcpHandles();
    const proxy = await flaky(1000);
    const chain = new Chain(`socks5://127.0.0.1:${proxy.port}`, {
      ...fast,
      retries: { retries: 3, minTimeout: 1 },
    });
    await expectChainError(chain.connect(target()), { code: 'PROTOCOL_ERROR' });
    await eventually(() => openTcpHandles() <= before);
  });
});
