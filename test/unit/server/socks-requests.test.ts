/**
 * The SOCKS listener reading requests: every address type decodes to the target the upstream
 * is asked for, and whatever a client sends right behind its request in the same packet
 * (greeting, request and data in one write) reaches the target, byte for byte.
 */
import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProxyServer, startProxyServer } from '../../../src/server/proxy-server.js';
import type { Target } from '../../../src/target.js';
import { type Fixture, startEchoServer } from '../../fixtures/index.js';
import { connectTo, exchange, portOf, readMore } from './helpers.js';

/** Sent behind the request: NULs and a SOCKS-looking byte, which a greedy reader would eat. */
const EARLY = Buffer.from('\0early\0\x05bytes');

let echo: Fixture;
let server: ProxyServer;
let port: number;
const asked: Target[] = [];

beforeAll(async () => {
  echo = await startEchoServer();
  server = await startProxyServer({
    listen: 'socks5://127.0.0.1:0',
    connect: async (target) => {
      asked.push(target);
      return connectTo(echo.port);
    },
  });
  port = portOf(server.urls()[0] as string);
});

afterAll(async () => {
  await server.close({ drainTimeoutMs: 0 });
  await echo.close();
});

/** Sends `request` + EARLY in one write; resolves with the target asked for and what came back. */
async function tunnel(request: Buffer, replyLength: number): Promise<{ target: Target; reply: Buffer }> {
  const before = asked.length;
  const socket = await connectTo(port);
  try {
    const reply = await exchange(socket, Buffer.concat([request, EARLY]), replyLength);
    const echoed = await readMore(socket, EARLY.length);
    expect(echoed).toBe(EARLY.toString('utf8'));
    expect(asked.length).toBe(before + 1);
    return { target: asked[before] as Target, reply };
  } finally {
    socket.destroy();
  }
}

function portBytes(value: number): Buffer {
  const out = Buffer.alloc(2);
  out.writeUInt16BE(value);
  return out;
}

/** A SOCKS5 request with the address bytes written by hand, and the host it must decode to. */
const socks5Address = fc.oneof(
  fc.ipV4().map((host) => ({ atyp: 0x01, bytes: Buffer.from(host.split('.').map(Number)), host })),
  fc.uint8Array({ minLength: 16, maxLength: 16 }).map((raw) => {
    const bytes = Buffer.from(raw);
    const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2).toString(16));
    const host = new net.SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
    return { atyp: 0x04, bytes, host };
  }),
  fc
    .oneof(fc.domain(), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }))
    .filter((name) => net.isIP(name) === 0 && !name.includes('\0') && Buffer.byteLength(name) <= 255)
    .map((host) => {
      const name = Buffer.from(host, 'utf8');
      return { atyp: 0x03, bytes: Buffer.concat([Buffer.from([name.length]), name]), host };
    }),
);

describe('SOCKS5: every ATYP, greeting + request + data in one write', () => {
  it('decodes IPv4, IPv6 and names to the target, and the data reaches it', async () => {
    await fc.assert(
      fc.asyncProperty(socks5Address, fc.integer({ min: 1, max: 65535 }), async (address, targetPort) => {
        const request = Buffer.concat([
          Buffer.from([5, 1, 0, 5, 1, 0, address.atyp]),
          address.bytes,
          portBytes(targetPort),
        ]);
        const { target, reply } = await tunnel(request, 12);
        expect([...reply]).toEqual([5, 0, 5, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
        expect(target).toEqual({ host: address.host, port: targetPort });
      }),
      { numRuns: 40 },
    );
  });
});

describe('SOCKS4 and SOCKS4a: NUL-terminated fields, data right behind them', () => {
  it('SOCKS4 with an IPv4 address and a user id', async () => {
    const head = Buffer.from([4, 1, ...portBytes(8080), 10, 1, 2, 3]);
    const { target, reply } = await tunnel(Buffer.concat([head, Buffer.from('user\0')]), 8);
    expect(reply[1]).toBe(0x5a);
    expect(target).toEqual({ host: '10.1.2.3', port: 8080 });
  });

  it('SOCKS4a with a host name after the user id', async () => {
    const head = Buffer.from([4, 1, ...portBytes(443), 0, 0, 0, 9]);
    const request = Buffer.concat([head, Buffer.from('\0'), Buffer.from('example.test\0')]);
    const { target, reply } = await tunnel(request, 8);
    expect(reply[1]).toBe(0x5a);
    expect(target).toEqual({ host: 'example.test', port: 443 });
  });
});
