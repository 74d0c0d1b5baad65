// Proves the fixtures themselves speak their protocols correctly, using only
// node:net/tls/https by hand, so library tests can trust them.
import { createHash } from 'node:crypto';
import https from 'node:https';
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  certs,
  closedPort,
  type Fixture,
  startBannerServer,
  startEchoServer,
  startHostileServer,
  startHttpOrigin,
  startHttpProxy,
  startSocksServer,
} from './fixtures/index.js';

const started: Fixture[] = [];
async function use<T extends Fixture>(fixture: Promise<T>): Promise<T> {
  const f = await fixture;
  started.push(f);
  return f;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((f) => f.close()));
});

/** A raw client that keeps everything it receives. */
class Client {
  received = Buffer.alloc(0);
  closed = false;
  readonly socket: net.Socket;

  constructor(port: number) {
    this.socket = net.connect({ port, host: '127.0.0.1' });
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
    });
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      this.closed = true;
    });
  }

  write(data: string | number[]): void {
    this.socket.write(typeof data === 'string' ? data : Buffer.from(data));
  }

  text(): string {
    return this.received.toString('latin1');
  }

  /** Polls until the condition holds; the error shows what arrived so far. */
  until(ready: () => boolean): Promise<void> {
    return vi.waitFor(
      () => {
        if (!ready()) throw new Error(`still waiting; received ${JSON.stringify(this.text())}`);
      },
      { timeout: 3000, interval: 5 },
    );
  }
  bytes(n: number): Promise<void> {
    return this.until(() => this.received.length >= n);
  }
  has(text: string): Promise<void> {
    return this.until(() => this.text().includes(text));
  }
  waitClosed(): Promise<void> {
    return this.until(() => this.closed);
  }
}

const connectHead = (target: string, extra = '') =>
  `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${extra}\r\n`;
const statusOf = (c: Client) => c.text().split('\r\n')[0];
const portBytes = (port: number) => [port >> 8, port & 0xff];

describe('http proxy fixture', () => {
  it('tunnels CONNECT and forwards bytes pipelined behind the request head', async () => {
    const echo = await use(startEchoServer());
    const proxy = await use(startHttpProxy());
    const c = new Client(proxy.port);
    c.write(`${connectHead(`127.0.0.1:${echo.port}`)}early bytes`);
    await c.has('\r\n\r\nearly bytes');
    expect(c.text()).toBe('HTTP/1.1 200 Connection established\r\n\r\nearly bytes');
    expect(proxy.log[0]).toMatchObject({ type: 'connect', target: `127.0.0.1:${echo.port}`, status: 200 });
  });

  it('answers 407 with a Basic challenge without credentials and tunnels with them', async () => {
    const echo = await use(startEchoServer());
    const proxy = await use(startHttpProxy({ auth: { username: 'u', password: 'p:w' } }));
    expect(proxy.url).toBe(`http://u:p%3Aw@127.0.0.1:${proxy.port}`);
    const c = new Client(proxy.port);
    c.write(connectHead(`localhost:${echo.port}`));
    await c.has('\r\n\r\n');
    expect(statusOf(c)).toBe('HTTP/1.1 407 Proxy Authentication Required');
    expect(c.text()).toContain('Proxy-Authenticate: Basic realm="fixture"\r\n');
    // Same connection: the fixture keeps it open after a challenge, as real proxies do.
    const token = Buffer.from('u:p:w').toString('base64');
    c.write(connectHead(`localhost:${echo.port}`, `Proxy-Authorization: Basic ${token}\r\n`));
    await c.has('200 Connection established\r\n\r\n');
    expect(proxy.log).toContainEqual({
      type: 'auth',
      scheme: 'basic',
      username: 'u',
      password: 'p:w',
      ok: true,
    });
  });

  it('verifies a Digest SHA-256 answer computed by hand (RFC 7616)', async () => {
    const echo = await use(startEchoServer());
    const auth = { username: 'Mufasa', password: 'Circle of Life' };
    const proxy = await use(startHttpProxy({ auth, scheme: 'digest', algorithm: 'SHA-256' }));
    const target = `127.0.0.1:${echo.port}`;
    const c = new Client(proxy.port);
    c.write(connectHead(target));
    await c.has('\r\n\r\n');
    const nonce =
      /Proxy-Authenticate: Digest realm="fixture", qop="auth", nonce="(\w+)", algorithm=SHA-256/.exec(
        c.text(),
      )?.[1];
    expect(nonce).toBeDefined();
    const h = (s: string) => createHash('sha256').update(s).digest('hex');
    const ha1 = h(`${auth.username}:fixture:${auth.password}`);
    const response = h(`${ha1}:${nonce}:00000001:abc123:auth:${h(`CONNECT:${target}`)}`);
    const header = `Digest username="Mufasa", realm="fixture", nonce="${nonce}", uri="${target}", algorithm=SHA-256, qop=auth, nc=00000001, cnonce="abc123", response="${response}"`;
    c.received = Buffer.alloc(0);
    c.write(connectHead(target, `Proxy-Authorization: ${header}\r\n`));
    await c.has('\r\n\r\n');
    expect(statusOf(c)).toBe('HTTP/1.1 200 Connection established');
  });

  it('answers 403 when the ruleset denies, 502 when the target refuses', async () => {
    const proxy = await use(startHttpProxy({ deny: (host) => host === 'localhost' }));
    const denied = new Client(proxy.port);
    denied.write(connectHead('localhost:1'));
    await denied.waitClosed();
    expect(statusOf(denied)).toBe('HTTP/1.1 403 Forbidden');
    const refused = new Client(proxy.port);
    refused.write(connectHead(`127.0.0.1:${await closedPort()}`));
    await refused.waitClosed();
    expect(statusOf(refused)).toBe('HTTP/1.1 502 Bad Gateway');
  });

  it('refuses non-loopback targets without dialling them', async () => {
    const proxy = await use(startHttpProxy());
    for (const target of ['192.0.2.1:80', 'example.com:443', '[2001:db8::1]:80']) {
      const c = new Client(proxy.port);
      c.write(connectHead(target));
      await c.waitClosed();
      expect(statusOf(c)).toBe('HTTP/1.1 403 Forbidden');
    }
    expect(proxy.log.filter((e) => e.type === 'dial')).toEqual([]);
    expect(proxy.log.every((e) => e.refused === 'not loopback')).toBe(true);
  });
});

describe('socks fixture', () => {
  it('SOCKS5 with username/password tunnels to a hostname target', async () => {
    const echo = await use(startEchoServer());
    const socks = await use(startSocksServer({ auth: { username: 'user', password: 'pass' } }));
    const c = new Client(socks.port);
    c.write([5, 1, 2]);
    await c.bytes(2);
    expect([...c.received]).toEqual([5, 2]);
    c.write([1, 4, ...Buffer.from('user'), 4, ...Buffer.from('pass')]);
    await c.bytes(4);
    expect([...c.received.subarray(2)]).toEqual([1, 0]);
    // The request and the first payload bytes in one write: the fixture must hold them for the target.
    c.write([5, 1, 0, 3, 9, ...Buffer.from('localhost'), ...portBytes(echo.port), ...Buffer.from('hi')]);
    await c.bytes(4 + 10 + 2);
    expect([...c.received.subarray(4, 8)]).toEqual([5, 0, 0, 1]);
    expect(c.received.subarray(14).toString()).toBe('hi');
    expect(socks.log).toContainEqual(
      expect.objectContaining({ type: 'socks5-auth', username: 'user', password: 'pass' }),
    );
    expect(socks.log).toContainEqual(
      expect.objectContaining({ type: 'connect', addressType: 'domain', host: 'localhost' }),
    );
  });

  it('SOCKS4a records the hostname as sent, with the user id', async () => {
    const echo = await use(startEchoServer());
    const socks = await use(startSocksServer({ versions: [4], userId: 'alice' }));
    const c = new Client(socks.port);
    c.write([4, 1, ...portBytes(echo.port), 0, 0, 0, 1, ...Buffer.from('alice\0localhost\0')]);
    await c.bytes(8);
    expect(c.received[1]).toBe(0x5a);
    expect(socks.log).toContainEqual(
      expect.objectContaining({ type: 'connect', protocol: 'socks4a', userId: 'alice', host: 'localhost' }),
    );
  });
});

describe('origins and hostile servers', () => {
  it('banner server speaks first, then answers lines', async () => {
    const banner = await use(startBannerServer());
    const c = new Client(banner.port);
    await c.has('\r\n');
    expect(c.text()).toBe('220 fixture ESMTP ready\r\n');
    c.write('EHLO test\r\n');
    await c.has('250 EHLO test\r\n');
  });

  it('https origin is trusted with the test CA and reports what it received', async () => {
    const origin = await use(startHttpOrigin({ tls: certs.localhost }));
    const body = await new Promise<string>((resolve, reject) => {
      https
        .get(`${origin.url}/hello?x=1`, { ca: certs.ca, agent: false }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => resolve(text));
        })
        .on('error', reject);
    });
    expect(JSON.parse(body)).toMatchObject({ method: 'GET', url: '/hello?x=1' });
  });

  it('reset-after-ok answers a CONNECT with 200 and then resets', async () => {
    const hostile = await use(startHostileServer('reset-after-ok'));
    const c = new Client(hostile.port);
    c.write(connectHead('127.0.0.1:1'));
    await c.waitClosed();
    expect(c.text()).toBe('HTTP/1.1 200 Connection established\r\n\r\n');
  });

  it('close() destroys open tunnels and leaves no open sockets', async () => {
    const echo = await use(startEchoServer());
    const proxy = await use(startHttpProxy());
    const c = new Client(proxy.port);
    c.write(connectHead(`127.0.0.1:${echo.port}`));
    await c.has('\r\n\r\n');
    expect(proxy.open()).toBe(1);
    expect(proxy.connections).toBe(1);
    await proxy.close();
    await c.waitClosed();
    expect(proxy.open()).toBe(0);
    // The far end of the destroyed tunnel notices a few event-loop turns later.
    await vi.waitFor(() => expect(echo.open()).toBe(0));
  });
});
