/** chain.serve() with a SOCKS listener: curl and Node clients through it, failure replies, listener auth. */
import http from 'node:http';
import { SocksProxyAgent } from 'socks-proxy-agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chain } from '../../../src/index.js';
import type { ServeHandle } from '../../../src/server/serve.js';
import {
  closedPort,
  type Fixture,
  patternBytes,
  startBannerServer,
  startEchoServer,
  startHostileServer,
  startHttpOrigin,
  startHttpProxy,
  startSocksServer,
} from '../../fixtures/index.js';
import { expectNoSecret, hopUrl, SECRET, USER } from '../../helpers.js';
import {
  connectTo,
  curl,
  exchange,
  hostPortOf,
  portOf,
  RecordLog,
  readMore,
  readToEnd,
  socks4aConnect,
  socks5Connect,
} from './helpers.js';

const fixtures: Fixture[] = [];
const chains: Chain[] = [];
const creds = { user: USER, pass: SECRET };
let httpProxy: Fixture;
let socksProxy: Fixture;
let origin: Fixture;
let echoServer: Fixture;
let good: string[];

beforeAll(async () => {
  const auth = { username: USER, password: SECRET };
  [httpProxy, socksProxy, origin, echoServer] = await Promise.all([
    startHttpProxy({ auth }),
    startSocksServer({ versions: [5], auth, deny: (host) => host === 'denied.localhost' }),
    startHttpOrigin(),
    startEchoServer(),
  ]);
  fixtures.push(httpProxy, socksProxy, origin, echoServer);
  good = [hopUrl('http', httpProxy, creds), hopUrl('socks5', socksProxy, creds)];
});

afterAll(async () => {
  await Promise.all(chains.map((chain) => chain.close()));
  await Promise.all(fixtures.map((f) => f.close()));
});

async function serve(
  hops: string[],
  options: Partial<Parameters<Chain['serve']>[0]> = {},
  chainOptions: ConstructorParameters<typeof Chain>[1] = {},
): Promise<{ handle: ServeHandle; log: RecordLog; port: number }> {
  const chain = new Chain(hops, { timeoutMs: 5000, hopTimeoutMs: 3000, ...chainOptions });
  chains.push(chain);
  const log = new RecordLog();
  const handle = await chain.serve({
    listen: 'socks5://127.0.0.1:0',
    onConnection: log.onConnection,
    ...options,
  });
  return { handle, log, port: portOf(handle.urls()[0] as string) };
}

describe('clients through a two-hop chain', () => {
  let server: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    server = await serve(good);
  });

  it('curl --socks5-hostname: the name travels to the last hop, the request reaches the origin', async () => {
    const result = await curl([
      '--socks5-hostname',
      `127.0.0.1:${server.port}`,
      `http://localhost:${origin.port}/through?socks5h`,
    ]);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toMatchObject({ method: 'GET', url: '/through?socks5h' });
    expect(socksProxy.log).toContainEqual(
      expect.objectContaining({
        type: 'connect',
        addressType: 'domain',
        host: 'localhost',
        port: origin.port,
      }),
    );
    const record = (await server.log.waitFor(1)).at(-1);
    expect(record).toMatchObject({ result: 'ok', protocol: 'socks5', target: `localhost:${origin.port}` });
    expect(record?.trace.map((entry) => `${entry.hopIndex}:${entry.phase}`)).toEqual([
      '0:tcp',
      '0:handshake',
      '1:handshake',
    ]);
    // The body plus the response head came down; the request went up.
    expect(record?.bytesDown).toBeGreaterThan(Buffer.byteLength(result.stdout));
    expect(record?.bytesUp).toBeGreaterThan(50);
  });

  it.each([
    ['--socks5', '127.0.0.1', 'socks5'],
    ['--socks4', '127.0.0.1', 'socks4'],
    ['--socks4a', 'localhost', 'socks4a'],
  ])('curl %s', async (flag, host, protocol) => {
    const before = server.log.records.length;
    const result = await curl([
      flag,
      `127.0.0.1:${server.port}`,
      `http://${host}:${origin.port}/${protocol}`,
    ]);
    expect(JSON.parse(result.stdout)).toMatchObject({ url: `/${protocol}` });
    const records = await server.log.waitFor(before + 1);
    expect(records.at(-1)).toMatchObject({ result: 'ok', protocol, target: `${host}:${origin.port}` });
  });

  it('node http.get with socks-proxy-agent (socks5h) downloads a megabyte intact', async () => {
    const agent = new SocksProxyAgent(`socks5h://127.0.0.1:${server.port}`);
    const body = await new Promise<Buffer>((resolve, reject) => {
      http
        .get(`http://localhost:${origin.port}/bytes/1048576`, { agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve(Buffer.concat(chunks)));
        })
        .on('error', reject);
    });
    agent.destroy();
    expect(body.equals(patternBytes(1048576))).toBe(true);
  });

  it('node http.get with socks-proxy-agent (socks4a)', async () => {
    const agent = new SocksProxyAgent(`socks4a://127.0.0.1:${server.port}`);
    const status = await new Promise<number | undefined>((resolve, reject) => {
      http
        .get(`http://localhost:${origin.port}/v4a`, { agent }, (res) => {
          res.resume();
          resolve(res.statusCode);
        })
        .on('error', reject);
    });
    agent.destroy();
    expect(status).toBe(200);
  });

  it('a server that speaks first: its banner arrives', async () => {
    const banner = await startBannerServer();
    fixtures.push(banner);
    const { reply, socket } = await socks5Connect(server.port, { host: '127.0.0.1', port: banner.port });
    expect(reply).toBe(0);
    expect(await readMore(socket, 10)).toMatch(/^220 /);
    socket.destroy();
  });

  it('bytes sent right behind the request (before the reply) reach the target', async () => {
    const socket = await connectTo(server.port);
    await exchange(socket, Buffer.from([5, 1, 0]), 2);
    const portBytes = Buffer.alloc(2);
    portBytes.writeUInt16BE(echoServer.port);
    const request = Buffer.concat([Buffer.from([5, 1, 0, 1, 127, 0, 0, 1]), portBytes, Buffer.from('early')]);
    const reply = await exchange(socket, request, 10);
    expect(reply[1]).toBe(0);
    expect(await readMore(socket, 5)).toBe('early');
    socket.destroy();
  });

  it('the log holds no password', () => {
    for (const line of server.log.lines()) expect(line).not.toContain(SECRET);
    for (const record of server.log.records) expectNoSecret(record);
  });
});

describe('IPv6', () => {
  it('curl --socks5 to a [::1] listener and a [::1] origin', async () => {
    const v6origin = await startHttpOrigin({ host: '::1' });
    fixtures.push(v6origin);
    const { handle, log } = await serve(good, { listen: 'socks5://[::1]:0' });
    expect(handle.urls()[0]).toMatch(/^socks5:\/\/\[::1\]:\d+$/);
    const result = await curl([
      '--socks5',
      hostPortOf(handle.urls()[0] as string),
      `http://[::1]:${v6origin.port}/v6`,
    ]);
    expect(JSON.parse(result.stdout)).toMatchObject({ url: '/v6' });
    expect((await log.waitFor(1))[0]).toMatchObject({ result: 'ok', target: `[::1]:${v6origin.port}` });
  });
});

describe('failures are answered with the SOCKS reply code that fits', () => {
  it.each([
    ['the first hop refuses (HOP_UNREACHABLE)', 'dead-first', 'HOP_UNREACHABLE', 0, 0x05],
    ['the target refuses (TARGET_UNREACHABLE)', 'dead-target', 'TARGET_UNREACHABLE', 1, 0x05],
    ['the last hop denies the target (PROXY_DENIED)', 'denied', 'PROXY_DENIED', 1, 0x02],
    ['a hop never answers (HOP_TIMEOUT)', 'silent', 'HOP_TIMEOUT', 1, 0x06],
    ['a hop rejects the password (AUTH_FAILED)', 'bad-password', 'AUTH_FAILED', 1, 0x01],
  ])('%s', async (_name, scenario, code, hopIndex, socksReply) => {
    let hops = good;
    let target = { host: '127.0.0.1', port: origin.port };
    if (scenario === 'dead-first') hops = [`http://127.0.0.1:${await closedPort()}`, good[1] as string];
    if (scenario === 'dead-target') target = { host: '127.0.0.1', port: await closedPort() };
    if (scenario === 'denied') target = { host: 'denied.localhost', port: 80 };
    if (scenario === 'silent') {
      const silent = await startHostileServer('silent');
      fixtures.push(silent);
      hops = [good[0] as string, `socks5://127.0.0.1:${silent.port}`];
    }
    if (scenario === 'bad-password')
      hops = [good[0] as string, hopUrl('socks5', socksProxy, { user: USER, pass: 'nope' })];
    const { log, port } = await serve(hops, {}, { hopTimeoutMs: 400 });
    const { reply, socket } = await socks5Connect(port, target);
    expect(reply).toBe(socksReply);
    await readToEnd(socket);
    const [record] = await log.waitFor(1);
    expect(record).toMatchObject({ result: code, protocol: 'socks5' });
    expect(record?.error?.hopIndex).toBe(hopIndex);
    expect(log.lines(false)[0]).toContain(`${code} at hop ${hopIndex + 1} (`);
    for (const line of log.lines()) expect(line).not.toContain(SECRET);

    const v4 = await socks4aConnect(port, target);
    expect(v4.reply).toBe(0x5b);
    v4.socket.destroy();
  });

  it('curl reports the failure and exits non-zero', async () => {
    const { port } = await serve([`socks5://127.0.0.1:${await closedPort()}`]);
    const result = await curl(['--socks5-hostname', `127.0.0.1:${port}`, `http://localhost:${origin.port}/`]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/SOCKS5/i);
  });
});

describe('listener credentials (SOCKS5 username/password)', () => {
  const LISTENER_SECRET = 'listener-s3cret:x';
  let server: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    server = await serve(good, { auth: { username: 'client', password: LISTENER_SECRET } });
  });

  it('curl with the right credentials gets through', async () => {
    const result = await curl([
      '-x',
      `socks5h://client:${encodeURIComponent(LISTENER_SECRET)}@127.0.0.1:${server.port}`,
      `http://localhost:${origin.port}/authed`,
    ]);
    expect(JSON.parse(result.stdout)).toMatchObject({ url: '/authed' });
  });

  it('socks-proxy-agent with credentials gets through', async () => {
    const agent = new SocksProxyAgent(
      `socks5h://client:${encodeURIComponent(LISTENER_SECRET)}@127.0.0.1:${server.port}`,
    );
    const status = await new Promise<number | undefined>((resolve, reject) => {
      http
        .get(`http://localhost:${origin.port}/`, { agent }, (res) => {
          res.resume();
          resolve(res.statusCode);
        })
        .on('error', reject);
    });
    agent.destroy();
    expect(status).toBe(200);
  });

  it('a wrong password gets RFC 1929 status 1 and a LISTENER_AUTH record without the password', async () => {
    const before = server.log.records.length;
    const { authStatus, socket } = await socks5Connect(
      server.port,
      { host: '127.0.0.1', port: origin.port },
      { username: 'client', password: 'wrong-guess' },
    );
    expect(authStatus).toBe(1);
    await readToEnd(socket);
    const record = (await server.log.waitFor(before + 1)).at(-1);
    expect(record).toMatchObject({ result: 'LISTENER_AUTH', detail: 'wrong user name or password' });
    for (const line of server.log.lines()) {
      expect(line).not.toContain('wrong-guess');
      expect(line).not.toContain(LISTENER_SECRET);
    }
  });

  it('a client that offers no username/password method gets 0xFF', async () => {
    const { reply, socket } = await socks5Connect(server.port, { host: '127.0.0.1', port: origin.port });
    expect(reply).toBe(0xff);
    socket.destroy();
  });

  it('SOCKS4 cannot authenticate: 0x5B, and the record says to use SOCKS5', async () => {
    const before = server.log.records.length;
    const { reply, socket } = await socks4aConnect(server.port, { host: 'localhost', port: origin.port });
    expect(reply).toBe(0x5b);
    socket.destroy();
    const record = (await server.log.waitFor(before + 1)).at(-1);
    expect(record).toMatchObject({ result: 'LISTENER_AUTH', protocol: 'socks4a' });
    expect(record?.detail).toMatch(/use SOCKS5/);
  });
});

describe('clients that break the protocol', () => {
  let server: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    server = await serve(good, { handshakeTimeoutMs: 300 });
  });

  async function lastRecordAfter(send: (socket: import('node:net').Socket) => void) {
    const before = server.log.records.length;
    const socket = await connectTo(server.port);
    const closed = readToEnd(socket);
    send(socket);
    const reply = await closed;
    const record = (await server.log.waitFor(before + 1)).at(-1);
    return { reply, record };
  }

  it('HTTP on the SOCKS port is closed as BAD_REQUEST', async () => {
    const { reply, record } = await lastRecordAfter((s) => s.write('GET / HTTP/1.1\r\n\r\n'));
    expect(reply.length).toBe(0);
    expect(record).toMatchObject({ result: 'BAD_REQUEST', detail: 'not SOCKS (first byte 0x47)' });
  });

  it('SOCKS5 BIND gets 0x07 (command not supported)', async () => {
    const { reply, record } = await lastRecordAfter((s) =>
      s.write(Buffer.from([5, 1, 0, 5, 2, 0, 1, 127, 0, 0, 1, 0, 80])),
    );
    expect([...reply]).toEqual([5, 0, 5, 7, 0, 1, 0, 0, 0, 0, 0, 0]);
    expect(record).toMatchObject({ result: 'BAD_REQUEST' });
  });

  it('an unknown address type gets 0x08', async () => {
    const { reply } = await lastRecordAfter((s) => s.write(Buffer.from([5, 1, 0, 5, 1, 0, 9, 1, 2, 3])));
    expect(reply[3]).toBe(8);
  });

  it('a SOCKS4 user id longer than 255 bytes is cut off', async () => {
    const head = Buffer.from([4, 1, 0, 80, 127, 0, 0, 1]);
    const { record } = await lastRecordAfter((s) => s.write(Buffer.concat([head, Buffer.alloc(400, 0x61)])));
    expect(record).toMatchObject({ result: 'BAD_REQUEST', detail: 'SOCKS4 user id longer than 255 bytes' });
  });

  it('a client that never finishes its request is closed after the handshake timeout', async () => {
    const began = performance.now();
    const { record } = await lastRecordAfter((s) => s.write(Buffer.from([5, 1])));
    expect(performance.now() - began).toBeGreaterThanOrEqual(250);
    expect(record).toMatchObject({ result: 'CLIENT_TIMEOUT' });
  });

  it('a client that leaves in the middle is CLIENT_CLOSED', async () => {
    const { record } = await lastRecordAfter((s) => s.end(Buffer.from([5, 2, 0])));
    expect(record).toMatchObject({ result: 'CLIENT_CLOSED' });
  });
});
