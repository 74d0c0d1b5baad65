/** The proxy server's lifecycle: bind safety, the connection limit, draining, no leaks, a direct upstream. */

import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// From the package root: what library users (and the demo) get.
import {
  Chain,
  ChainError,
  connectDirect,
  ListenError,
  type ProxyServer,
  type ProxyServerOptions,
  startProxyServer,
} from '../../../src/index.js';
import {
  closedPort,
  type Fixture,
  startEchoServer,
  startHostileServer,
  startHttpOrigin,
  startSocksServer,
} from '../../fixtures/index.js';
import { eventually, expectNoSecret, hopUrl, openTcpHandles, SECRET, USER } from '../../helpers.js';
import {
  connectTo,
  curl,
  exchange,
  portOf,
  RecordLog,
  readMore,
  readToEnd,
  socks5Connect,
} from './helpers.js';

const fixtures: Fixture[] = [];
let echoServer: Fixture;
let origin: Fixture;

beforeAll(async () => {
  [echoServer, origin] = await Promise.all([startEchoServer(), startHttpOrigin()]);
  fixtures.push(echoServer, origin);
});

afterAll(async () => {
  await Promise.all(fixtures.map((f) => f.close()));
});

function direct(options: Partial<ProxyServerOptions> = {}): Promise<ProxyServer> {
  return startProxyServer({ listen: 'socks5://127.0.0.1:0', connect: connectDirect, ...options });
}

function listeningServers(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'TCPServerWrap').length;
}

function expectConfigError(run: () => unknown, message: RegExp): Promise<void> {
  return Promise.resolve()
    .then(run)
    .then(
      () => {
        throw new Error('expected INVALID_CONFIG');
      },
      (error: unknown) => {
        expect(error).toBeInstanceOf(ChainError);
        expect((error as ChainError).code).toBe('INVALID_CONFIG');
        expect((error as ChainError).message).toMatch(message);
      },
    );
}

describe('bind safety: checked before anything is bound', () => {
  it.each(['socks5://0.0.0.0:0', 'http://[::]:0', 'socks5://192.168.1.1:1080', 'http://proxy.example:8080'])(
    'refuses %s without credentials, naming --auth and --allow-public',
    async (listen) => {
      const before = listeningServers();
      // A loopback listener first: nothing may be bound even for it.
      await expectConfigError(
        () => direct({ listen: ['socks5://127.0.0.1:0', listen] }),
        /refusing to listen on .* without credentials.*--auth user:pass.*--allow-public/,
      );
      expect(listeningServers()).toBe(before);
    },
  );

  it('names what is wrong with a listen URL, without echoing a password', async () => {
    await expectConfigError(
      () => direct({ listen: 'ftp://127.0.0.1:21' }),
      /socks5:\/\/HOST:PORT or http:\/\/HOST:PORT/,
    );
    await expectConfigError(() => direct({ listen: '127.0.0.1:1080' }), /must be socks5:\/\/HOST:PORT/);
    await expectConfigError(() => direct({ listen: 'http://127.0.0.1:0/path' }), /path/);
    await expectConfigError(() => direct({ listen: [] }), /at least one listen address/);
    const error = await direct({ listen: `socks5://u:${encodeURIComponent(SECRET)}@127.0.0.1:0` }).catch(
      (e) => e,
    );
    expect((error as ChainError).message).toMatch(/must not hold credentials: give them as auth/);
    expectNoSecret(error);
    for (const listen of [`socks5://u:${SECRET}@127.0.0.1:1`, `http://u:pa ss${SECRET}@127.0.0.1:1`]) {
      const unparsable = await direct({ listen }).catch((e) => e);
      expect((unparsable as ChainError).code).toBe('INVALID_CONFIG');
      expectNoSecret(unparsable);
      expect((unparsable as ChainError).message).not.toContain('pa ss');
    }
  });

  it.each([
    [{ maxConnections: 0 }, /maxConnections/],
    [{ handshakeTimeoutMs: -1 }, /handshakeTimeoutMs/],
    [{ auth: { username: 'u', password: '' } }, /password of 1-255 bytes/],
  ])('rejects bad options %o', async (options, message) => {
    await expectConfigError(() => direct(options), message);
  });

  it('a port in use is a ListenError naming the URL and code, and nothing stays bound', async () => {
    const before = listeningServers();
    const error = await direct({
      listen: ['socks5://127.0.0.1:0', `http://127.0.0.1:${echoServer.port}`],
    }).catch((e) => e);
    expect(error).toBeInstanceOf(ListenError);
    expect(error).toMatchObject({ code: 'EADDRINUSE', url: `http://127.0.0.1:${echoServer.port}` });
    await eventually(() => listeningServers() === before);
  });
});

describe('a direct upstream (no chain)', () => {
  it('curl through it reaches the origin; a closed port is answered 0x05', async () => {
    const log = new RecordLog();
    const server = await direct({
      listen: ['socks5://127.0.0.1:0', 'http://127.0.0.1:0'],
      onConnection: log.onConnection,
    });
    const [socksUrl, httpUrl] = server.urls() as [string, string];
    const viaSocks = await curl([
      '--socks5-hostname',
      socksUrl.slice(9),
      `http://localhost:${origin.port}/direct`,
    ]);
    expect(JSON.parse(viaSocks.stdout)).toMatchObject({ url: '/direct' });
    const viaHttp = await curl(['-x', httpUrl, `http://127.0.0.1:${origin.port}/direct-http`]);
    expect(JSON.parse(viaHttp.stdout)).toMatchObject({ url: '/direct-http' });
    const { reply, socket } = await socks5Connect(portOf(socksUrl), {
      host: '127.0.0.1',
      port: await closedPort(),
    });
    expect(reply).toBe(0x05);
    socket.destroy();
    const records = await log.waitFor(3);
    expect(records.map((r) => [r.route, r.result])).toEqual([
      ['direct', 'ok'],
      ['direct', 'ok'],
      ['direct', 'TARGET_UNREACHABLE'],
    ]);
    await server.close();
  });
});

describe('a chain with NO_PROXY rules', () => {
  it('connects exempt targets directly, and the log says so', async () => {
    const socks = await startSocksServer({ versions: [5] });
    fixtures.push(socks);
    const log = new RecordLog();
    const chain = new Chain(socks.url, { noProxy: 'localhost' });
    const handle = await chain.serve({ listen: 'socks5://127.0.0.1:0', onConnection: log.onConnection });
    const port = (handle.urls()[0] as string).slice(9);
    await curl(['--socks5-hostname', port, `http://localhost:${origin.port}/exempt`]);
    await curl(['--socks5-hostname', port, `http://127.0.0.1:${origin.port}/chained`]);
    const records = await log.waitFor(2);
    expect(records.map((r) => [r.target, r.route, r.result])).toEqual([
      [`localhost:${origin.port}`, 'direct', 'ok'],
      [`127.0.0.1:${origin.port}`, '1 hop', 'ok'],
    ]);
    expect(socks.connections).toBe(1);
    await chain.close();
  });
});

describe('the connection limit', () => {
  it('turns away connections over the limit (SOCKS: closed, HTTP: 503) and admits again after', async () => {
    const log = new RecordLog();
    const server = await direct({
      listen: ['socks5://127.0.0.1:0', 'http://127.0.0.1:0'],
      maxConnections: 2,
      onConnection: log.onConnection,
    });
    const [socksUrl, httpUrl] = server.urls() as [string, string];
    const target = { host: '127.0.0.1', port: echoServer.port };
    const first = await socks5Connect(portOf(socksUrl), target);
    const second = await socks5Connect(portOf(socksUrl), target);
    expect([first.reply, second.reply]).toEqual([0, 0]);
    expect(server.connections).toBe(2);

    const third = await connectTo(portOf(socksUrl));
    expect((await readToEnd(third)).length).toBe(0);
    const overHttp = await curl(['-x', httpUrl, '-i', `http://127.0.0.1:${origin.port}/`]);
    expect(overHttp.stdout).toMatch(/^HTTP\/1\.1 503 /);
    expect(overHttp.stdout).toContain('sockschain: too many connections (limit 2)');
    expect(log.records.filter((r) => r.result === 'TOO_MANY_CONNECTIONS')).toHaveLength(2);

    first.socket.destroy();
    await eventually(() => server.connections === 1);
    const again = await socks5Connect(portOf(socksUrl), target);
    expect(again.reply).toBe(0);
    second.socket.destroy();
    again.socket.destroy();
    await server.close();
  });
});

describe('close(): stop accepting, drain, then cut', () => {
  it('lets an open tunnel finish while refusing new connections', async () => {
    const server = await direct();
    const port = portOf(server.urls()[0] as string);
    const { reply, socket } = await socks5Connect(port, { host: '127.0.0.1', port: echoServer.port });
    expect(reply).toBe(0);
    let closed: { cut: number } | undefined;
    const closing = server.close({ drainTimeoutMs: 5000 }).then((result) => {
      closed = result;
    });
    await expect(connectTo(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    socket.write('still here');
    expect(await readMore(socket, 10)).toBe('still here');
    expect(closed).toBeUndefined();
    socket.end();
    await closing;
    expect(closed).toEqual({ cut: 0 });
  });

  it('cuts tunnels still open after the drain timeout', async () => {
    const server = await direct();
    const { socket } = await socks5Connect(portOf(server.urls()[0] as string), {
      host: '127.0.0.1',
      port: echoServer.port,
    });
    const ended = readToEnd(socket);
    const began = performance.now();
    expect(await server.close({ drainTimeoutMs: 150 })).toEqual({ cut: 1 });
    expect(performance.now() - began).toBeGreaterThanOrEqual(140);
    await ended;
  });

  it('a second close() with no drain time cuts at once', async () => {
    const server = await direct();
    const { socket } = await socks5Connect(portOf(server.urls()[0] as string), {
      host: '127.0.0.1',
      port: echoServer.port,
    });
    const began = performance.now();
    const first = server.close({ drainTimeoutMs: 10_000 });
    const second = server.close({ drainTimeoutMs: 0 });
    expect(await first).toEqual({ cut: 1 });
    expect(await second).toEqual({ cut: 1 });
    expect(performance.now() - began).toBeLessThan(2000);
    socket.destroy();
  });

  it('closes idle keep-alive HTTP clients at once', async () => {
    const server = await direct({ listen: 'http://127.0.0.1:0' });
    const socket = await connectTo(portOf(server.urls()[0] as string));
    const head = `GET http://127.0.0.1:${origin.port}/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
    expect((await exchange(socket, Buffer.from(head), 12)).toString()).toBe('HTTP/1.1 200');
    const ended = readToEnd(socket);
    const began = performance.now();
    expect(await server.close({ drainTimeoutMs: 5000 })).toEqual({ cut: 0 });
    expect(performance.now() - began).toBeLessThan(1000);
    await ended;
  });

  it('chain.close() closes the servers it made', async () => {
    const socks = await startSocksServer({ versions: [5] });
    fixtures.push(socks);
    const chain = new Chain(socks.url);
    const handle = await chain.serve({ listen: 'socks5://127.0.0.1:0' });
    const port = portOf(handle.urls()[0] as string);
    await chain.close();
    await expect(connectTo(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('refused clients', () => {
  it('one that keeps its side open is closed after a short linger', async () => {
    const server = await direct();
    const socket = net.connect({
      host: '127.0.0.1',
      port: portOf(server.urls()[0] as string),
      allowHalfOpen: true,
    });
    const events: string[] = [];
    socket.on('end', () => events.push('end'));
    socket.on('error', () => {});
    socket.write('GET / HTTP/1.1\r\n\r\n');
    socket.resume();
    await eventually(() => events.includes('end'));
    expect(server.connections).toBe(1);
    const began = performance.now();
    await eventually(() => server.connections === 0, 4000);
    expect(performance.now() - began).toBeGreaterThan(1000);
    socket.destroy();
    await server.close();
  });

  it('the failure reply survives data the client sent ahead of it', async () => {
    const server = await direct();
    const socket = await connectTo(portOf(server.urls()[0] as string));
    const port = Buffer.alloc(2);
    port.writeUInt16BE(await closedPort());
    const request = Buffer.concat([
      Buffer.from([5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1]),
      port,
      Buffer.alloc(256 * 1024, 1),
    ]);
    const reply = readToEnd(socket);
    socket.write(request);
    expect([...(await reply)]).toEqual([5, 0, 5, 5, 0, 1, 0, 0, 0, 0, 0, 0]);
    await server.close();
  });
});

describe('nothing leaks', () => {
  it('every socket is closed after successes, failures and abandoned handshakes', async () => {
    const socks = await startSocksServer({ versions: [5], auth: { username: USER, password: SECRET } });
    fixtures.push(socks);
    const before = openTcpHandles();
    const chain = new Chain(hopUrl('socks5', socks, { user: USER, pass: SECRET }), { hopTimeoutMs: 1000 });
    const handle = await chain.serve({
      listen: ['socks5://127.0.0.1:0', 'http://127.0.0.1:0'],
      handshakeTimeoutMs: 200,
    });
    const [socksUrl, httpUrl] = handle.urls() as [string, string];
    const dead = await closedPort();
    for (let i = 0; i < 5; i++) {
      const ok = await socks5Connect(portOf(socksUrl), { host: '127.0.0.1', port: echoServer.port });
      ok.socket.destroy();
      const failed = await socks5Connect(portOf(socksUrl), { host: '127.0.0.1', port: dead });
      await readToEnd(failed.socket);
      (await connectTo(portOf(socksUrl))).destroy();
      await curl(['-x', httpUrl, `http://127.0.0.1:${origin.port}/`]);
    }
    const stalled = await connectTo(portOf(socksUrl));
    stalled.write(Buffer.from([5]));
    await readToEnd(stalled);
    await eventually(() => handle.connections === 0);
    await chain.close();
    await eventually(() => openTcpHandles() <= before, 3000);
  });
});

describe('a client that goes away while the tunnel opens', () => {
  it('aborts the attempt and records ABORTED', async () => {
    const silent = await startHostileServer('silent');
    fixtures.push(silent);
    const log = new RecordLog();
    const chain = new Chain(`socks5://127.0.0.1:${silent.port}`, { hopTimeoutMs: 5000 });
    const handle = await chain.serve({ listen: 'socks5://127.0.0.1:0', onConnection: log.onConnection });
    const socket = await connectTo(portOf(handle.urls()[0] as string));
    await exchange(socket, Buffer.from([5, 1, 0]), 2);
    socket.write(Buffer.from([5, 1, 0, 1, 127, 0, 0, 1, 0, 80]));
    await new Promise((r) => setTimeout(r, 100));
    socket.resetAndDestroy();
    const [record] = await log.waitFor(1);
    expect(record?.result).toBe('ABORTED');
    expect(record?.durationMs).toBeLessThan(2000);
    await chain.close();
  });
});
