/**
 * HTTP/2 to an https:// first hop (`http2`): the faults a real proxy does not produce on
 * demand (RST_STREAM codes, GOAWAY, a lost connection, a small stream cap), against a Node
 * http2 server in the proxy's place. nghttpx itself is in test/interop/http2.test.ts.
 */
import http2 from 'node:http2';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Chain, type HopSpec } from '../../../src/index.js';
import { H2Session } from '../../../src/protocols/h2-sessions.js';
import { certs, startEchoServer, startHttpProxy } from '../../fixtures/index.js';
import { echo, eventually, expectChainError } from '../../helpers.js';

const { NGHTTP2_CONNECT_ERROR, NGHTTP2_PROTOCOL_ERROR, NGHTTP2_NO_ERROR } = http2.constants;

/** What the fixture does with a CONNECT, by the target's port. */
const ECHO = 7;
const CONNECT_ERROR = 1;
const FORBIDDEN = 2;
const RESET = 3;
const GOAWAY_AFTER = 4;
const DROP_CONNECTION = 5;
const NEEDS_AUTH = 6;

let server: http2.Http2SecureServer;
let port = 0;
const sessions = new Set<http2.ServerHttp2Session>();
let opened = 0;
const seenAuth: string[] = [];

beforeAll(async () => {
  server = http2.createSecureServer({ ...certs.localhost, settings: { maxConcurrentStreams: 4 } });
  server.on('session', (session) => {
    opened++;
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {}); // the resets below are the fixture's own doing
    const target = String(headers[':authority']);
    const at = Number(target.slice(target.lastIndexOf(':') + 1));
    if (headers[':method'] !== 'CONNECT') return stream.respond({ ':status': 405 }, { endStream: true });
    if (at === CONNECT_ERROR) return stream.close(NGHTTP2_CONNECT_ERROR);
    if (at === FORBIDDEN) return stream.respond({ ':status': 403 }, { endStream: true });
    if (at === RESET) return stream.close(NGHTTP2_PROTOCOL_ERROR);
    if (at === DROP_CONNECTION) return stream.session?.destroy();
    if (at === NEEDS_AUTH) {
      const authorization = headers['proxy-authorization'];
      seenAuth.push(String(authorization));
      if (!authorization) return stream.respond({ ':status': 407, 'proxy-authenticate': 'Basic realm="x"' });
    }
    stream.respond({ ':status': 200 });
    stream.pipe(stream); // an echo tunnel
    if (at === GOAWAY_AFTER) stream.session?.goaway(NGHTTP2_NO_ERROR, stream.id);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});

afterAll(async () => {
  for (const session of sessions) session.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const hop = (extra: Partial<HopSpec> = {}): HopSpec => ({
  protocol: 'https',
  host: '127.0.0.1',
  port,
  http2: true,
  ...extra,
});
const chainOf = (extra: Partial<HopSpec> = {}) =>
  new Chain([hop(extra)], { ca: certs.ca, hopTimeoutMs: 3000 });
const target = (p: number) => ({ host: '127.0.0.1', port: p });

describe('http2 to an https:// first hop', () => {
  it('opens every tunnel as a stream on one connection, and close() ends it', async () => {
    const chain = chainOf();
    const before = opened;
    for (let i = 0; i < 3; i++) {
      const socket = await chain.connect(target(ECHO));
      expect(await echo(socket, `tunnel ${i}`)).toBe(`tunnel ${i}`);
      socket.destroy();
    }
    expect(opened - before).toBe(1);
    const count = sessions.size;
    await chain.close();
    await eventually(() => sessions.size === count - 1);
  });

  it('carries 4 MiB each way through a tunnel (flow control)', async () => {
    const chain = chainOf();
    const socket = await chain.connect(target(ECHO));
    const data = Buffer.alloc(4 * 1024 * 1024, 'x');
    const received = new Promise<number>((resolve) => {
      let n = 0;
      socket.on('data', (chunk: Buffer) => {
        n += chunk.length;
        if (n >= data.length) resolve(n);
      });
    });
    socket.write(data);
    expect(await received).toBe(data.length);
    socket.destroy();
    await chain.close();
  });

  it("opens a second connection past the proxy's stream cap", async () => {
    const chain = chainOf();
    const before = opened;
    const tunnels = await Promise.all(Array.from({ length: 10 }, () => chain.connect(target(ECHO))));
    expect(await Promise.all(tunnels.map((s, i) => echo(s, `n${i}`)))).toEqual(
      tunnels.map((_, i) => `n${i}`),
    );
    expect(opened - before).toBeGreaterThanOrEqual(3);
    for (const s of tunnels) s.destroy();
    await chain.close();
  });

  it('maps resets and replies to typed errors naming the hop', async () => {
    const chain = chainOf();
    const unreachable = await expectChainError(chain.connect(target(CONNECT_ERROR)), {
      code: 'TARGET_UNREACHABLE',
      hopIndex: 0,
    });
    expect(unreachable.reply).toBe('RST_STREAM CONNECT_ERROR');
    await expectChainError(chain.connect(target(FORBIDDEN)), { code: 'PROXY_DENIED', hopIndex: 0 });
    const reset = await expectChainError(chain.connect(target(RESET)), {
      code: 'PROTOCOL_ERROR',
      hopIndex: 0,
    });
    expect(reset.reply).toBe('RST_STREAM PROTOCOL_ERROR');
    await expectChainError(chain.connect(target(NEEDS_AUTH)), { code: 'AUTH_REQUIRED', hopIndex: 0 });
    const next = new Chain([hop(), 'socks5://127.0.0.1:1'], { ca: certs.ca });
    await expectChainError(next.connect(target(ECHO)), { code: 'HOP_UNREACHABLE', hopIndex: 1 });
    // The connection survives a stream's failure.
    const socket = await chain.connect(target(ECHO));
    expect(await echo(socket, 'still')).toBe('still');
    socket.destroy();
    await chain.close();
    await next.close();
  });

  it('sends credentials on each stream', async () => {
    const chain = chainOf({ username: 'alice', password: 's3cret' });
    (await chain.connect(target(NEEDS_AUTH))).destroy();
    expect(seenAuth.at(-1)).toBe(`Basic ${Buffer.from('alice:s3cret').toString('base64')}`);
    await chain.close();
  });

  it('moves to a new connection after GOAWAY; a lost connection is HOP_UNREACHABLE', async () => {
    const chain = chainOf();
    const before = opened;
    const first = await chain.connect(target(GOAWAY_AFTER));
    expect(await echo(first, 'before goaway')).toBe('before goaway');
    const second = await chain.connect(target(ECHO));
    expect(await echo(second, 'after goaway')).toBe('after goaway');
    expect(opened - before).toBe(2);
    first.destroy();
    second.destroy();
    await expectChainError(chain.connect(target(DROP_CONNECTION)), { code: 'HOP_UNREACHABLE', hopIndex: 0 });
    const third = await chain.connect(target(ECHO));
    expect(await echo(third, 'reconnected')).toBe('reconnected');
    third.destroy();
    await chain.close();
  });

  it("'auto' takes HTTP/1.1 when the proxy does not pick h2; true fails", async () => {
    const h1 = await startHttpProxy({ tls: certs.localhost });
    const echoServer = await startEchoServer();
    try {
      const auto = new Chain([{ ...hop({ http2: 'auto' }), port: h1.port }], { ca: certs.ca });
      for (let i = 0; i < 2; i++) {
        const socket = await auto.connect(target(echoServer.port));
        expect(await echo(socket, 'h1')).toBe('h1');
        socket.destroy();
      }
      const strict = new Chain([{ ...hop(), port: h1.port }], { ca: certs.ca });
      // Every time: `true` never falls back to HTTP/1.1.
      for (let i = 0; i < 2; i++) {
        await expectChainError(strict.connect(target(echoServer.port)), {
          code: 'PROTOCOL_ERROR',
          hopIndex: 0,
        });
      }
    } finally {
      await h1.close();
      await echoServer.close();
    }
  });

  it('rejects http2 on a hop that is not https://', () => {
    expect(() => new Chain([{ protocol: 'http', host: '127.0.0.1', port: 1, http2: true }])).toThrow(/http2/);
    expect(() => new Chain([hop({ http2: 'yes' as never })])).toThrow(/http2/);
  });
});

describe('an HTTP/2 connection with no tunnel', () => {
  it('closes after idleMs, and keeps the process alive only while a referenced tunnel is open', () => {
    vi.useFakeTimers();
    try {
      const fake = { remoteSettings: {}, closed: false, close: vi.fn(), ref: vi.fn(), unref: vi.fn() };
      const entry = new H2Session(fake as unknown as http2.ClientHttp2Session, {
        maxStreams: 2,
        idleMs: 1000,
      });
      entry.take();
      entry.take();
      expect(entry.hasRoom()).toBe(false); // the cap
      expect(fake.ref).toHaveBeenCalled();
      entry.give(false); // a tunnel that was unref()'d
      entry.reference(-1);
      expect(fake.unref).not.toHaveBeenCalled();
      entry.give(true);
      expect(fake.unref).toHaveBeenCalled();
      vi.advanceTimersByTime(999);
      expect(fake.close).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(fake.close).toHaveBeenCalledTimes(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
