/** Pipelined setup: the same results and errors as sequential setup, in fewer round trips. */
import { getEventListeners } from 'node:events';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STALL_FLOOR_MS } from '../../../src/dial/pipeline-auto.js';
import { Chain } from '../../../src/index.js';
import {
  certs,
  closedPort,
  type Fixture,
  startBannerServer,
  startEchoServer,
  startHttpProxy,
  startSocksServer,
} from '../../fixtures/index.js';
import { echo, expectChainError, hopUrl, readAtLeast, SECRET, USER } from '../../helpers.js';

const fixtures: Fixture[] = [];
const auth = { username: USER, password: SECRET };
const creds = { user: USER, pass: SECRET };
const DENIED = 9;
let socksA: Fixture;
let socksB: Fixture;
let socks4: Fixture;
let http: Fixture;
let https: Fixture;
let echoServer: Fixture;
let banner: Fixture;

beforeAll(async () => {
  const deny = (_h: string, port: number) => port === DENIED;
  socksA = await startSocksServer({ versions: [5], auth, deny });
  socksB = await startSocksServer({ versions: [5], auth, deny });
  socks4 = await startSocksServer({ versions: [4], deny });
  http = await startHttpProxy({ auth, deny });
  https = await startHttpProxy({ auth, tls: certs.localhost, deny });
  echoServer = await startEchoServer();
  banner = await startBannerServer();
  fixtures.push(socksA, socksB, socks4, http, https, echoServer, banner);
});

afterAll(async () => {
  await Promise.all(fixtures.map((f) => f.close()));
});

/** A TCP relay in front of a hop that counts the client's writes (each is one round trip's worth). */
async function countingRelay(port: number, opts: { dropAfterGreeting?: boolean; delayMs?: number } = {}) {
  const counts = { clientChunks: 0, connections: 0 };
  const server = net.createServer((client) => {
    counts.connections++;
    client.setNoDelay(true);
    const upstream = net.connect(port, '127.0.0.1');
    upstream.setNoDelay(true);
    let first = true;
    client.on('data', (chunk: Buffer) => {
      counts.clientChunks++;
      // Emulates a proxy that reads its greeting greedily and throws away what followed it.
      if (first && opts.dropAfterGreeting && chunk[0] === 5) chunk = chunk.subarray(0, 2 + (chunk[1] ?? 0));
      first = false;
      // Emulates a slow proxy that does buffer early bytes (its connect onward takes long).
      if (opts.delayMs) setTimeout(() => upstream.write(chunk), opts.delayMs);
      else upstream.write(chunk);
    });
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const relayPort = (server.address() as net.AddressInfo).port;
  fixtures.push({ close: () => new Promise<void>((r) => server.close(() => r())) } as Fixture);
  return { port: relayPort, counts };
}

const socksUrl = (f: Fixture) => hopUrl('socks5', f, creds);

describe('pipelined setup', () => {
  it('writes every handshake of a 3-hop chain in one go: one write reaches hop 1', async () => {
    const relay = await countingRelay(socksA.port);
    const hops = [
      `socks5://${USER}:${encodeURIComponent(SECRET)}@127.0.0.1:${relay.port}`,
      socksUrl(socksB),
      hopUrl('http', http, creds),
    ];
    const sequential = new Chain(hops, { pipeline: false });
    const s1 = await sequential.connect({ host: '127.0.0.1', port: echoServer.port });
    expect(await echo(s1, 'seq')).toBe('seq');
    s1.destroy();
    const sequentialWrites = relay.counts.clientChunks - 1;
    relay.counts.clientChunks = 0;
    const pipelined = new Chain(hops, { pipeline: true });
    const s2 = await pipelined.connect({ host: '127.0.0.1', port: echoServer.port });
    expect(await echo(s2, 'pipe')).toBe('pipe');
    s2.destroy();
    // 7 messages (greeting, auth, connect x2, CONNECT) sent one by one, against one write.
    expect(sequentialWrites).toBe(7);
    expect(relay.counts.clientChunks - 1).toBe(1);
  });

  it.each([
    ['socks5 -> socks5 -> http', () => [socksUrl(socksA), socksUrl(socksB), hopUrl('http', http, creds)]],
    [
      'http -> socks4a -> socks5',
      () => [hopUrl('http', http, creds), hopUrl('socks4a', socks4), socksUrl(socksB)],
    ],
    ['https -> socks5 -> socks5', () => [hopUrl('https', https, creds), socksUrl(socksA), socksUrl(socksB)]],
    [
      'socks5 -> https -> socks4',
      () => [socksUrl(socksA), hopUrl('https', https, creds), hopUrl('socks4', socks4)],
    ],
  ])('%s carries data and keeps a banner', async (_name, hops) => {
    const chain = new Chain(hops(), { pipeline: true, ca: certs.ca });
    const socket = await chain.connect({ host: '127.0.0.1', port: echoServer.port });
    expect(await echo(socket, 'through')).toBe('through');
    socket.destroy();
    const speaking = await chain.connect({ host: '127.0.0.1', port: banner.port });
    expect(await readAtLeast(speaking, 4)).toMatch(/^220 /);
    speaking.destroy();
  });
});

describe('pipelined failures are reported like sequential ones', () => {
  const wrong = { user: USER, pass: 'wrong' };
  it.each([0, 1, 2])('AUTH_FAILED at hop %i', async (bad) => {
    const hops = [socksUrl(socksA), socksUrl(socksB), hopUrl('http', http, creds)];
    const f = [socksA, socksB, http][bad] as Fixture;
    hops[bad] = hopUrl(bad === 2 ? 'http' : 'socks5', f, wrong);
    const chain = new Chain(hops, { pipeline: true, hopTimeoutMs: 2000 });
    await expectChainError(chain.connect({ host: '127.0.0.1', port: echoServer.port }), {
      code: 'AUTH_FAILED',
      hopIndex: bad,
    });
  });

  it('HOP_UNREACHABLE at hop 1 and PROXY_DENIED at the last hop', async () => {
    const closed = await closedPort();
    const unreachable = new Chain([socksUrl(socksA), `socks5://127.0.0.1:${closed}`, socksUrl(socksB)], {
      pipeline: true,
    });
    await expectChainError(unreachable.connect({ host: '127.0.0.1', port: echoServer.port }), {
      code: 'HOP_UNREACHABLE',
      hopIndex: 1,
    });
    const denied = new Chain([socksUrl(socksA), socksUrl(socksB)], { pipeline: true });
    await expectChainError(denied.connect({ host: '127.0.0.1', port: DENIED }), {
      code: 'PROXY_DENIED',
      hopIndex: 1,
    });
  });

  it('the credentials of a hop after a failing one never reach a fixture as credentials', async () => {
    const closed = await closedPort();
    const chain = new Chain(
      [
        socksUrl(socksA),
        `socks5://127.0.0.1:${closed}`,
        hopUrl('socks5', socksB, { user: 'eve', pass: 'hop3-secret' }),
      ],
      {
        pipeline: true,
      },
    );
    await chain.connect({ host: '127.0.0.1', port: echoServer.port }).catch(() => {});
    expect(JSON.stringify(socksB.log)).not.toContain('hop3-secret');
  });
});

describe('an HTTP hop never relays pipelined bytes', () => {
  it("a 407 kept alive by hop 1 does not hand it hop 2's CONNECT and credentials", async () => {
    const second = await startHttpProxy({ auth: { username: 'eve', password: 'hop2-secret' } });
    fixtures.push(second);
    const chain = new Chain(
      [
        hopUrl('http', http, { user: USER, pass: 'wrong' }),
        hopUrl('http', second, { user: 'eve', pass: 'hop2-secret' }),
      ],
      { pipeline: true },
    );
    await expectChainError(chain.connect({ host: '127.0.0.1', port: echoServer.port }), {
      code: 'AUTH_FAILED',
      hopIndex: 0,
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(JSON.stringify(http.log)).not.toContain('hop2-secret');
    expect(JSON.stringify(http.log)).not.toContain(Buffer.from('eve:hop2-secret').toString('base64'));
  });
});

describe("pipeline: 'auto'", () => {
  it('falls back within a few round trips on a hop that drops early bytes, then remembers it', async () => {
    const lossy = await countingRelay(socksA.port, { dropAfterGreeting: true });
    const hops = [`socks5://${USER}:${encodeURIComponent(SECRET)}@127.0.0.1:${lossy.port}`, socksUrl(socksB)];
    const forced = new Chain(hops, { pipeline: true, hopTimeoutMs: 300 });
    await expectChainError(forced.connect({ host: '127.0.0.1', port: echoServer.port }), {
      code: 'HOP_TIMEOUT',
    });

    // The hop timeout is far away: the fallback must not wait for it.
    const auto = new Chain(hops, { pipeline: 'auto', hopTimeoutMs: 5000 });
    const started = performance.now();
    const first = await auto.connect({ host: '127.0.0.1', port: echoServer.port });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await echo(first, 'fell back')).toBe('fell back');
    first.destroy();

    lossy.counts.clientChunks = 0;
    lossy.counts.connections = 0;
    const second = await auto.connect({ host: '127.0.0.1', port: echoServer.port });
    expect(await echo(second, 'remembered')).toBe('remembered');
    second.destroy();
    // Sequential at once: one connection, one write per handshake message.
    expect(lossy.counts.connections).toBe(1);
    expect(lossy.counts.clientChunks - 1).toBeGreaterThan(1);

    // What one chain learnt is its own: a new chain pipelines (and hedges) again.
    lossy.counts.connections = 0;
    const other = new Chain(hops, { pipeline: 'auto', hopTimeoutMs: 5000 });
    (await other.connect({ host: '127.0.0.1', port: echoServer.port })).destroy();
    expect(lossy.counts.connections).toBe(2);
  });

  it('a slow hop that buffers early bytes keeps pipelining: the hedge loses and is not remembered', async () => {
    const slow = await countingRelay(socksA.port, { delayMs: STALL_FLOOR_MS * 4 });
    const chain = new Chain([socksUrl({ host: '127.0.0.1', port: slow.port } as Fixture)], {
      pipeline: 'auto',
    });
    const first = await chain.connect({ host: '127.0.0.1', port: echoServer.port });
    expect(await echo(first, 'pipelined')).toBe('pipelined');
    first.destroy();
    // The hedge started beside the slow pipelined attempt (a second connection) and lost.
    expect(slow.counts.connections).toBe(2);

    slow.counts.connections = 0;
    slow.counts.clientChunks = 0;
    const second = await chain.connect({ host: '127.0.0.1', port: echoServer.port });
    expect(await echo(second, 'again')).toBe('again');
    second.destroy();
    // Known to take early bytes: pipelined (handshake in one write, then the echo), no hedge.
    expect(slow.counts.connections).toBe(1);
    expect(slow.counts.clientChunks).toBe(2);
  });

  it("the caller's signal aborts a watched attempt, and a long-lived signal keeps no listener", async () => {
    const lossy = await countingRelay(socksA.port, { dropAfterGreeting: true });
    const hops = [`socks5://${USER}:${encodeURIComponent(SECRET)}@127.0.0.1:${lossy.port}`];
    const chain = new Chain(hops, { pipeline: 'auto', hopTimeoutMs: 5000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 10);
    await expectChainError(
      chain.connect({ host: '127.0.0.1', port: echoServer.port }, { signal: controller.signal }),
      { code: 'ABORTED' },
    );
    const longLived = new AbortController();
    for (let i = 0; i < 3; i++) {
      (
        await chain.connect({ host: '127.0.0.1', port: echoServer.port }, { signal: longLived.signal })
      ).destroy();
    }
    expect(getEventListeners(longLived.signal, 'abort')).toHaveLength(0);
  });

  it('a per-hop pipeline: false keeps that hop sequential', async () => {
    const lossy = await countingRelay(socksA.port, { dropAfterGreeting: true });
    const chain = new Chain(
      [
        { protocol: 'socks5', host: '127.0.0.1', port: lossy.port, ...auth, pipeline: false },
        socksUrl(socksB),
      ],
      { pipeline: true, hopTimeoutMs: 500 },
    );
    const socket = await chain.connect({ host: '127.0.0.1', port: echoServer.port });
    expect(await echo(socket, 'ok')).toBe('ok');
    socket.destroy();
  });

  it('a well-formed refusal is not retried sequentially (one connection per hop)', async () => {
    const closed = await closedPort();
    const before = [socksA.connections, socksB.connections];
    const chain = new Chain([socksUrl(socksA), socksUrl(socksB)], { pipeline: 'auto' });
    await expectChainError(chain.connect({ host: '127.0.0.1', port: closed }), {
      code: 'TARGET_UNREACHABLE',
    });
    await expectChainError(chain.connect({ host: '127.0.0.1', port: DENIED }), { code: 'PROXY_DENIED' });
    expect([socksA.connections - (before[0] ?? 0), socksB.connections - (before[1] ?? 0)]).toEqual([2, 2]);
  });

  it('rejects an invalid pipeline option', () => {
    expect(() => new Chain([socksUrl(socksA)], { pipeline: 'yes' as never })).toThrow(/pipeline/);
  });
});
