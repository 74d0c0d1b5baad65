/** PAC files: the answer grammar, the sandbox's network-free functions, caching, and errors. */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PacRouter, parsePacAnswer } from '../../../src/config/pac.js';
import { Chain, ChainError } from '../../../src/index.js';
import { type Fixture, startEchoServer } from '../../fixtures/index.js';

const pac = (body: string) => `function FindProxyForURL(url, host) { ${body} }`;
const router = (body: string, options = {}) => new PacRouter(Promise.resolve(pac(body)), 'remote', options);
const target = { host: 'localhost', port: 443 };

describe('PAC answers', () => {
  it('reads a failover list of single hops, CHAIN entries as whole chains, and skips what it does not know', () => {
    expect(
      parsePacAnswer(
        'PROXY a:1; SOCKS5 b:2;SOCKS c:3; HTTPS d:4; QUIC e:5; CHAIN http://f:6 socks5://g:7; DIRECT',
        'u',
      ),
    ).toEqual([
      ['http://a:1'],
      ['socks5h://b:2'],
      ['socks4a://c:3'],
      ['https://d:4'],
      ['http://f:6', 'socks5://g:7'],
      'direct',
    ]);
  });

  it('an answer with nothing usable is INVALID_CONFIG, and never shows a CHAIN password', () => {
    const error = (() => {
      try {
        parsePacAnswer('CHAINX http://u:Pac-Secret@h:1', 'https://localhost:443/');
      } catch (e) {
        return e as ChainError;
      }
    })();
    expect(error).toBeInstanceOf(ChainError);
    expect(error?.code).toBe('INVALID_CONFIG');
    expect(error?.message).toMatch(/nothing usable for https:\/\/localhost:443\//);
    expect(error?.message).not.toContain('Pac-Secret');
  });
});

describe('the PAC sandbox', () => {
  it('gets scheme://host:port/ and the host', async () => {
    expect(
      await router('return "PROXY " + host + ":1; CHAIN http://x:2/" ;').routes(target, 'https:'),
    ).toEqual([['http://localhost:1'], ['http://x:2/']]);
    const seen = await router(
      'return "PROXY a:1" + (url === "http://127.0.0.2:8080/" ? "" : "; DIRECT");',
    ).routes({ host: '127.0.0.2', port: 8080 }, 'http:');
    expect(seen).toEqual([['http://a:1']]);
  });

  it('never resolves a target name with remote DNS: dnsResolve null, isResolvable and isInNet false', async () => {
    const body = `
      var r = dnsResolve(host), ok = isResolvable(host), inNet = isInNet(host, "0.0.0.0", "0.0.0.0");
      var lit = dnsResolve("127.0.0.9"), lo = isInNet("localhost", "127.0.0.0", "255.0.0.0");
      return "PROXY " + [String(r), ok, inNet, lit, lo].join("-") + ":1";`;
    const routes = await router(body).routes({ host: 'name.invalid', port: 443 }, 'https:');
    expect(routes).toEqual([['http://null-false-false-127.0.0.9-true:1']]);
  });

  it('myIpAddress is an address of this machine, found without sending anything', async () => {
    const [route] = await router('return "PROXY " + myIpAddress() + ":1";').routes(target, 'https:');
    const address = (route as string[])[0]?.slice('http://'.length, -':1'.length) ?? '';
    expect(net.isIPv4(address)).toBe(true);
  });

  it('caches per scheme://host:port for the TTL; ttlMs 0 asks every time', async () => {
    const counting = 'var n = (this.n = (this.n || 0) + 1); return "PROXY p" + n + ":1";';
    const cached = router(counting);
    expect(await cached.routes(target, 'https:')).toEqual([['http://p1:1']]);
    expect(await cached.routes(target, 'https:')).toEqual([['http://p1:1']]);
    expect(await cached.routes({ host: 'localhost', port: 444 }, 'https:')).toEqual([['http://p2:1']]);
    const fresh = router(counting, { ttlMs: 0 });
    await fresh.routes(target, 'https:');
    expect(await fresh.routes(target, 'https:')).toEqual([['http://p2:1']]);
  });

  it('a syntax error, a throwing script and an endless loop are INVALID_CONFIG', async () => {
    const broken = new PacRouter(
      Promise.resolve('function FindProxyForURL(url, host) { return "DIRECT"'),
      'remote',
    );
    await expect(broken.routes(target, 'https:')).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    await expect(router('throw new Error("boom");').routes(target, 'https:')).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringMatching(/boom/),
    });
    const looping = router('for (;;) {}', { evalTimeoutMs: 200 });
    await expect(looping.routes(target, 'https:')).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });
});

describe('Chain.fromPac', () => {
  let echo: Fixture;
  beforeAll(async () => {
    echo = await startEchoServer();
  });
  afterAll(async () => {
    await echo.close();
  });

  it('DIRECT connects directly; a dead proxy first fails over to the next entry', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const chain = Chain.fromPac(pac(`return "PROXY 127.0.0.1:${deadPort}; DIRECT";`));
    expect(chain.hops).toEqual([]);
    const socket = await chain.connect({ host: '127.0.0.1', port: echo.port });
    const echoed = new Promise<string>((r) => socket.once('data', (d: Buffer) => r(d.toString())));
    socket.write('hello');
    expect(await echoed).toBe('hello');
    socket.destroy();
    await chain.close();
  });

  it('a PAC file that cannot be read is INVALID_CONFIG at once', () => {
    expect(() => Chain.fromPac('/nonexistent/proxy.pac')).toThrow(/PAC: cannot read the PAC file/);
  });
});

describe('PROXY_PAC', () => {
  it('Chain.fromEnv makes a PAC chain after PROXY_CHAIN and SOCKSCHAIN_CONFIG, before the *_PROXY variables', async () => {
    const script = pac('return "DIRECT";');
    const chain = Chain.fromEnv({ PROXY_PAC: script, HTTPS_PROXY: 'http://127.0.0.1:1' });
    expect(chain?.hops).toEqual([]);
    const echo = await startEchoServer();
    try {
      const socket = await (chain as Chain).connect({ host: '127.0.0.1', port: echo.port });
      socket.destroy();
    } finally {
      await echo.close();
    }
    expect(Chain.fromEnv({ PROXY_PAC: script, PROXY_CHAIN: 'socks5://127.0.0.1:1' })?.hops).toHaveLength(1);
  });
});

describe('a PAC file from an http:// URL', () => {
  it('is downloaded directly (its own dispatcher) and used; a 404 is INVALID_CONFIG at the first connect', async () => {
    const http = await import('node:http');
    const server = http.createServer((req, res) => {
      if (req.url === '/proxy.pac') res.end(pac('return "DIRECT";'));
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as net.AddressInfo;
    const echo = await startEchoServer();
    try {
      const chain = Chain.fromPac(`http://127.0.0.1:${port}/proxy.pac`);
      (await chain.connect({ host: '127.0.0.1', port: echo.port })).destroy();
      const missing = Chain.fromPac(`http://127.0.0.1:${port}/nope.pac`);
      await expect(missing.connect({ host: '127.0.0.1', port: echo.port })).rejects.toMatchObject({
        code: 'INVALID_CONFIG',
        message: expect.stringMatching(/cannot load the PAC file: HTTP 404/),
      });
    } finally {
      server.close();
      await echo.close();
    }
  });
});

it('a PAC chain says what it is when printed', () => {
  expect(String(Chain.fromPac(pac('return "DIRECT";')))).toBe('the routes of a PAC file');
});
