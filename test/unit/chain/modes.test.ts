/** Chain modes over real fixtures: which hops a connection uses, skipping dead ones, cool-down, error numbering. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chain, type ChainOptions, type TraceEntry } from '../../../src/index.js';
import {
  closedPort,
  type Fixture,
  startEchoServer,
  startHostileServer,
  startHttpProxy,
  startSocksServer,
} from '../../fixtures/index.js';
import { echo, expectChainError, hopUrl, readAtLeast, SECRET, USER } from '../../helpers.js';

const fixtures: Fixture[] = [];
let echoServer: Fixture;
const socks: Fixture[] = [];
let dead: string;
let authSocks: Fixture;

beforeAll(async () => {
  echoServer = await startEchoServer();
  for (let i = 0; i < 3; i++) socks.push(await startSocksServer({ versions: [5] }));
  authSocks = await startSocksServer({ versions: [5], auth: { username: USER, password: SECRET } });
  fixtures.push(echoServer, authSocks, ...socks);
  dead = `socks5://127.0.0.1:${await closedPort()}`;
});

afterAll(async () => {
  await Promise.all(fixtures.map((f) => f.close()));
});

const url = (fixture: Fixture) => hopUrl('socks5', fixture);

/** The positions in chain.hops whose handshake ran in the successful attempt, in order. */
function usedHops(trace: TraceEntry[]): number[] {
  return trace.filter((entry) => entry.phase === 'handshake').map((entry) => entry.hopIndex);
}

async function roundTrip(chain: Chain): Promise<number[]> {
  const trace: TraceEntry[] = [];
  const socket = await chain.connect({ host: '127.0.0.1', port: echoServer.port }, { trace });
  expect(await echo(socket, 'ping')).toBe('ping');
  socket.destroy();
  return usedHops(trace);
}

function chainOf(hops: string[], options: ChainOptions = {}): Chain {
  return new Chain(hops, { timeoutMs: 5000, hopTimeoutMs: 2000, ...options });
}

describe('strict (default)', () => {
  it('goes through every hop, in order', async () => {
    const chain = chainOf(socks.map(url));
    expect(chain.options.mode).toBe('strict');
    expect(await roundTrip(chain)).toEqual([0, 1, 2]);
  });

  it('fails when any hop is down, naming its position in chain.hops', async () => {
    const chain = chainOf([url(socks[0] as Fixture), dead, url(socks[1] as Fixture)]);
    const error = await expectChainError(chain.connect(`127.0.0.1:${echoServer.port}`), {
      code: 'HOP_UNREACHABLE',
      hopIndex: 1,
    });
    expect(error.hop).toBe(dead);
    // Strict mode does not remember it: the next connection tries it again, and fails again.
    await expectChainError(chain.connect(`127.0.0.1:${echoServer.port}`), {
      code: 'HOP_UNREACHABLE',
      hopIndex: 1,
    });
  });
});

describe('dynamic', () => {
  it('skips hops that are down and goes through the others in order', async () => {
    const chain = chainOf(
      [dead, url(socks[0] as Fixture), dead.replace('socks5', 'http'), url(socks[1] as Fixture)],
      {
        mode: 'dynamic',
      },
    );
    expect(await roundTrip(chain)).toEqual([1, 3]);
  });

  it('remembers a failed hop for the cool-down, so the next connections do not wait on it', async () => {
    const broken = await startHostileServer('close-mid-handshake', { closeWith: 'nothing' });
    fixtures.push(broken);
    const chain = chainOf([hopUrl('socks5', broken), url(socks[0] as Fixture)], { mode: 'dynamic' });
    expect(await roundTrip(chain)).toEqual([1]);
    expect(await roundTrip(chain)).toEqual([1]);
    expect(await roundTrip(chain)).toEqual([1]);
    expect(broken.connections).toBe(1);
  });

  it('tries a failed hop again once its cool-down is over', async () => {
    const broken = await startHostileServer('close-mid-handshake', { closeWith: 'nothing' });
    fixtures.push(broken);
    const chain = chainOf([hopUrl('socks5', broken), url(socks[0] as Fixture)], {
      mode: 'dynamic',
      cooldownMs: 50,
    });
    await roundTrip(chain);
    await roundTrip(chain);
    expect(broken.connections).toBe(1);
    await new Promise((r) => setTimeout(r, 80));
    await roundTrip(chain);
    expect(broken.connections).toBe(2);
  });

  it('cooldownMs: 0 remembers nothing', async () => {
    const broken = await startHostileServer('close-mid-handshake', { closeWith: 'nothing' });
    fixtures.push(broken);
    const chain = chainOf([hopUrl('socks5', broken), url(socks[0] as Fixture)], {
      mode: 'dynamic',
      cooldownMs: 0,
    });
    await roundTrip(chain);
    await roundTrip(chain);
    expect(broken.connections).toBe(2);
  });

  it('fails only when no hop is left, with the last failure and the hops that were down', async () => {
    const chain = chainOf([dead, dead.replace('socks5', 'http')], { mode: 'dynamic' });
    const error = await expectChainError(chain.connect(`127.0.0.1:${echoServer.port}`), {
      code: 'HOP_UNREACHABLE',
      hopIndex: 1,
    });
    expect(error.message).toMatch(/no other hop left to try \(down: hop 1 \(socks5:.*\), hop 2 \(http:/);
    // Both are cooling down now; with nothing else left they are tried again rather than not at all.
    await expectChainError(chain.connect(`127.0.0.1:${echoServer.port}`), { code: 'HOP_UNREACHABLE' });
  });

  it('numbers errors by position in chain.hops, in hopIndex and in the message', async () => {
    const chain = chainOf([dead, hopUrl('socks5', authSocks)], { mode: 'dynamic' });
    const error = await expectChainError(chain.connect(`127.0.0.1:${echoServer.port}`), {
      code: 'AUTH_REQUIRED',
      hopIndex: 1,
    });
    expect(error.message).toMatch(/^hop 2 \(socks5:\/\/127\.0\.0\.1:\d+\)/);
    expect(error.hop).toBe(hopUrl('socks5', authSocks));
  });

  it('does not blame a hop for an unreachable target', async () => {
    const chain = chainOf([url(socks[0] as Fixture), url(socks[1] as Fixture)], { mode: 'dynamic' });
    await expectChainError(chain.connect(`127.0.0.1:${await closedPort()}`), {
      code: 'TARGET_UNREACHABLE',
      hopIndex: 1,
    });
    expect(await roundTrip(chain)).toEqual([0, 1]);
  });

  it('connectToLastHop follows the same selection and reports the chain.hops entry reached', async () => {
    const http = await startHttpProxy();
    fixtures.push(http);
    const chain = chainOf([url(socks[0] as Fixture), dead.replace('socks5', 'http'), hopUrl('http', http)], {
      mode: 'dynamic',
    });
    const { socket, hop } = await chain.connectToLastHop();
    expect(hop).toBe(chain.hops[2]);
    // The socket reaches the HTTP proxy itself, ready for a request.
    const reply = await readAtLeast(socket, 12, () =>
      socket.write(`CONNECT 127.0.0.1:${echoServer.port} HTTP/1.1\r\nHost: x\r\n\r\n`),
    );
    expect(reply).toMatch(/^HTTP\/1\.1 200/);
    socket.destroy();
  });
});

describe('random', () => {
  it('uses chainLength distinct hops per connection, and over time every hop', async () => {
    const chain = chainOf(socks.map(url), { mode: 'random', chainLength: 2 });
    const seen = new Set<number>();
    const orders = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const used = await roundTrip(chain);
      expect(used).toHaveLength(2);
      expect(new Set(used).size).toBe(2);
      for (const position of used) seen.add(position);
      orders.add(used.join(','));
    }
    expect([...seen].sort()).toEqual([0, 1, 2]);
    expect(orders.size).toBeGreaterThan(2);
  });

  it('picks again without a hop that is down', async () => {
    const chain = chainOf([dead, url(socks[0] as Fixture), url(socks[1] as Fixture)], {
      mode: 'random',
      chainLength: 2,
    });
    for (let i = 0; i < 5; i++) expect((await roundTrip(chain)).sort()).toEqual([1, 2]);
  });

  it('fails when too few hops are up to make chainLength', async () => {
    const chain = chainOf([dead, dead.replace('socks5', 'http'), url(socks[0] as Fixture)], {
      mode: 'random',
      chainLength: 2,
    });
    const error = await expectChainError(chain.connect(`127.0.0.1:${echoServer.port}`), {
      code: 'HOP_UNREACHABLE',
    });
    expect(error.message).toMatch(/no other hop left to try/);
  });
});

describe('round_robin', () => {
  it('takes chainLength hops in list order, starting after the last one used, wrapping around', async () => {
    const chain = chainOf(socks.map(url), { mode: 'round_robin', chainLength: 2 });
    expect(await roundTrip(chain)).toEqual([0, 1]);
    expect(await roundTrip(chain)).toEqual([2, 0]);
    expect(await roundTrip(chain)).toEqual([1, 2]);
  });

  it('skips a hop that is down', async () => {
    const chain = chainOf([url(socks[0] as Fixture), dead, url(socks[1] as Fixture)], {
      mode: 'round_robin',
      chainLength: 1,
    });
    const used = [];
    for (let i = 0; i < 4; i++) used.push(...(await roundTrip(chain)));
    expect(used).toEqual([0, 2, 0, 2]);
  });
});

describe('options', () => {
  it('are validated with INVALID_CONFIG errors naming the option', () => {
    const bad: Array<[ChainOptions, RegExp]> = [
      [{ mode: 'chaos' as never }, /mode must be one of 'strict', 'dynamic', 'random', 'round_robin'/],
      [{ chainLength: 4 }, /chainLength must be a whole number from 1 to the number of hops \(3\)/],
      [{ chainLength: 0 }, /chainLength/],
      [{ cooldownMs: -1 }, /cooldownMs must be a non-negative number/],
      [{ httpForwarding: 'tunnel' as never }, /httpForwarding must be 'absolute' or 'connect'/],
      [{ retries: -1 }, /retries must be a whole number, got -1/],
      [{ retries: { factor: 0.5 } }, /retries.factor must be a number >= 1, got 0.5/],
      [{ retries: { minTimeout: -1 } }, /retries.minTimeout must be a non-negative number of ms, got -1/],
      [{ timeoutMs: 0 }, /timeoutMs must be a positive number of ms, got 0/],
      [{ dns: 'google' as never }, /dns must be 'remote' or 'local', got "google"/],
      [{ pipeline: 'yes' as never }, /pipeline must be true, false or 'auto', got "yes"/],
      [{ rejectUnauthorized: 'no' as never }, /rejectUnauthorized must be true or false, got "no"/],
      [{ ca: 42 as never }, /ca must be PEM text \(a string or Buffer\) or a list of them, got 42/],
      [{ onProxyAuth: 'x' as never }, /onProxyAuth must be a function/],
      [{ retries: { retries: 2, jitter: true } as never }, /unknown option "jitter"/],
      [{ noProxy: '10.0.0.0/99' }, /noProxy entry 1/],
    ];
    for (const [options, message] of bad) {
      expect(() => new Chain(socks.map(url), options), message.source).toThrow(message);
    }
  });

  it('are visible, with defaults, in chain.options and JSON', () => {
    const chain = new Chain(socks.map(url), {
      mode: 'random',
      chainLength: 2,
      retries: 3,
      noProxy: '.internal',
    });
    expect(chain.options).toMatchObject({
      mode: 'random',
      chainLength: 2,
      cooldownMs: 30_000,
      httpForwarding: 'absolute',
      noProxy: ['.internal'],
      retries: { retries: 3, factor: 2, randomize: true },
    });
    expect(JSON.parse(JSON.stringify(chain)).options.mode).toBe('random');
    expect(new Chain(socks.map(url), { httpForwarding: 'connect' }).options.httpForwarding).toBe('connect');
  });
});
