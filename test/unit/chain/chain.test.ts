/** The chain through every hop type, alone and mixed, with the bytes of servers that speak first. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chain } from '../../../src/index.js';
import {
  certs,
  type Fixture,
  startBannerServer,
  startEchoServer,
  startHttpProxy,
  startSocksServer,
} from '../../fixtures/index.js';
import { echo, hopUrl, readAtLeast, type Scheme, SECRET, USER } from '../../helpers.js';

const fixtures: Fixture[] = [];
let echoServer: Fixture;
let banner: Fixture;
const hops = {} as Record<Scheme, string>;
let httpsByName: string;

beforeAll(async () => {
  const auth = { username: USER, password: SECRET };
  const http = await startHttpProxy({ auth });
  const https = await startHttpProxy({ auth, tls: certs.localhost });
  const socks4 = await startSocksServer({ versions: [4], userId: 'bob' });
  const socks5 = await startSocksServer({ versions: [5], auth });
  echoServer = await startEchoServer();
  banner = await startBannerServer();
  fixtures.push(http, https, socks4, socks5, echoServer, banner);
  const creds = { user: USER, pass: SECRET };
  hops.http = hopUrl('http', http, creds);
  hops.https = hopUrl('https', https, creds);
  httpsByName = hopUrl('https', { host: 'localhost', port: https.port }, creds);
  hops.socks4 = hopUrl('socks4', socks4, { user: 'bob' });
  hops.socks4a = hopUrl('socks4a', socks4, { user: 'bob' });
  hops.socks5 = hopUrl('socks5', socks5, creds);
  hops.socks5h = hopUrl('socks5h', socks5, creds);
});

afterAll(async () => {
  await Promise.all(fixtures.map((f) => f.close()));
});

const SCHEMES: Scheme[] = ['http', 'https', 'socks4', 'socks4a', 'socks5', 'socks5h'];

function chainOf(...schemes: Scheme[]): Chain {
  return new Chain(
    schemes.map((s) => hops[s]),
    { ca: certs.ca, timeoutMs: 5000, hopTimeoutMs: 3000 },
  );
}

describe('one hop of each type', () => {
  it.each(SCHEMES)('%s reaches an echo server and carries bytes both ways', async (scheme) => {
    const socket = await chainOf(scheme).connect({ host: '127.0.0.1', port: echoServer.port });
    expect(await echo(socket, 'hello through one hop')).toBe('hello through one hop');
    socket.destroy();
  });

  it.each(SCHEMES.filter((s) => s !== 'socks4'))('%s passes a host name to the proxy', async (scheme) => {
    const socket = await chainOf(scheme).connect(`localhost:${echoServer.port}`);
    expect(await echo(socket, 'by name')).toBe('by name');
    socket.destroy();
  });
});

describe('https hops', () => {
  it('verifies the proxy certificate against its host name (SNI) when given by name', async () => {
    const chain = new Chain([httpsByName, hops.socks5], { ca: certs.ca });
    const socket = await chain.connect({ host: '127.0.0.1', port: echoServer.port });
    expect(await echo(socket, 'sni')).toBe('sni');
    socket.destroy();
  });
});

describe('mixed chains', () => {
  const pairs = SCHEMES.flatMap((a) => SCHEMES.map((b) => [a, b] as [Scheme, Scheme]));
  it.each(pairs)('%s -> %s', async (a, b) => {
    const socket = await chainOf(a, b).connect({ host: '127.0.0.1', port: echoServer.port });
    expect(await echo(socket, `${a}>${b}`)).toBe(`${a}>${b}`);
    socket.destroy();
  });

  const triples: Scheme[][] = [
    ['https', 'socks5', 'http'],
    ['socks5', 'https', 'socks4a'],
    ['http', 'socks4', 'https'],
    ['https', 'https', 'https'],
    ['socks4a', 'http', 'socks5h'],
  ];
  it.each(triples)('%s -> %s -> %s', async (...schemes) => {
    const socket = await chainOf(...schemes).connect(`localhost:${echoServer.port}`);
    expect(await echo(socket, schemes.join('>'))).toBe(schemes.join('>'));
    socket.destroy();
  });

  it('carries a megabyte each way through three hops', async () => {
    const socket = await chainOf('https', 'socks5', 'http').connect({
      host: '127.0.0.1',
      port: echoServer.port,
    });
    const payload = 'x'.repeat(1024 * 1024);
    expect((await echo(socket, payload)).length).toBe(payload.length);
    socket.destroy();
  });
});

describe('servers that speak first', () => {
  it.each(SCHEMES)('the banner arrives through a %s last hop', async (scheme) => {
    const socket = await chainOf('socks5', scheme).connect({ host: '127.0.0.1', port: banner.port });
    expect(await readAtLeast(socket, 10)).toMatch(/^220 /);
    socket.destroy();
  });

  it('the banner survives a consumer that attaches late', async () => {
    const socket = await chainOf('http', 'socks5').connect({ host: '127.0.0.1', port: banner.port });
    await new Promise((r) => setTimeout(r, 100));
    expect(await readAtLeast(socket, 10)).toMatch(/^220 /);
    socket.destroy();
  });
});

describe('IPv6', () => {
  it('reaches an IPv6 target through IPv6 proxies', async () => {
    const v6echo = await startEchoServer({ host: '::1' });
    const v6socks = await startSocksServer({ host: '::1', versions: [5] });
    const v6http = await startHttpProxy({ host: '::1' });
    fixtures.push(v6echo, v6socks, v6http);
    const chain = new Chain([`http://[::1]:${v6http.port}`, `socks5://[::1]:${v6socks.port}`]);
    const socket = await chain.connect(`[::1]:${v6echo.port}`);
    expect(await echo(socket, 'v6')).toBe('v6');
    socket.destroy();
  });
});

describe('connectToLastHop', () => {
  it('opens a connection to the last hop itself, through the earlier hops, ready for HTTP', async () => {
    const chain = chainOf('socks5', 'https');
    const { socket, hop } = await chain.connectToLastHop();
    expect(hop.protocol).toBe('https');
    const reply = await readAtLeast(socket, 12, () =>
      socket.write(`CONNECT 127.0.0.1:${echoServer.port} HTTP/1.1\r\nHost: x\r\n\r\n`),
    );
    expect(reply).toMatch(/^HTTP\/1\.1 407/);
    socket.destroy();
  });
});
