/**
 * The odd replies a broken or malicious proxy can send, each at the moment a real reply would
 * come: absurd lengths, unknown codes and address types, bodies that never come, a close
 * right after a valid message. Each ends in the documented outcome within the per-hop limit.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chain, ChainError, type ChainErrorCode } from '../../src/index.js';
import { type Fixture, startEchoServer } from '../fixtures/index.js';
import { echo, eventually, expectNoSecret, SECRET, USER } from '../helpers.js';
import { settle } from './helpers.js';
import { type Script, startScriptedProxy } from './scripted-proxy.js';

const HOP_LIMIT = 400;
const MARGIN = 600;
const OPTIONS = { timeoutMs: 5000, hopTimeoutMs: HOP_LIMIT };
const auth = `${USER}:${encodeURIComponent(SECRET)}@`;

let target: Fixture;
const started: Fixture[] = [];

beforeAll(async () => {
  target = await startEchoServer();
});

afterAll(async () => {
  await Promise.all([target, ...started].map((f) => f.close()));
});

async function proxy(script: Script): Promise<Fixture> {
  const fixture = await startScriptedProxy(script);
  started.push(fixture);
  return fixture;
}

const bytes = (...values: number[]) => Buffer.from(values);

interface Failure {
  name: string;
  scheme: 'http' | 'socks4' | 'socks5';
  credentials?: boolean;
  script: Script;
  code: ChainErrorCode | ChainErrorCode[];
  /** Fails by the per-hop timer (the reply never completes) rather than at once. */
  timer?: boolean;
}

const FAILURES: Failure[] = [
  {
    name: 'a status code of four digits',
    scheme: 'http',
    script: { replies: ['HTTP/1.1 2000 OK\r\n\r\n'] },
    code: 'PROTOCOL_ERROR',
  },
  {
    name: 'a header line without a colon',
    scheme: 'http',
    script: { replies: ['HTTP/1.1 200 OK\r\nno colon here\r\n\r\n'] },
    code: 'PROTOCOL_ERROR',
  },
  {
    name: 'a head of 30 KiB in well-formed headers (over the 16 KiB cap)',
    scheme: 'http',
    script: {
      replies: [`HTTP/1.1 200 OK\r\n${'X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'.repeat(700)}\r\n`],
    },
    code: 'PROTOCOL_ERROR',
  },
  {
    name: 'a 407 whose body claims 10^15 bytes (never read, never buffered)',
    scheme: 'http',
    credentials: true,
    script: {
      replies: [
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Digest realm="r", nonce="n", qop="auth"\r\nContent-Length: 1000000000000000\r\n\r\n',
      ],
    },
    code: ['AUTH_REQUIRED', 'AUTH_FAILED'],
  },
  {
    name: 'a 407 whose promised body never comes',
    scheme: 'http',
    credentials: true,
    script: {
      replies: [
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Digest realm="r", nonce="n", qop="auth"\r\nContent-Length: 60000\r\n\r\n',
      ],
    },
    code: 'HOP_TIMEOUT',
    timer: true,
  },
  {
    // How ssh -D says it could not connect (docs/compatibility.md): the target is unreachable.
    name: 'a method choice, then a close without a word after the request',
    scheme: 'socks5',
    script: { replies: [bytes(0x05, 0x00)], after: 'end' },
    code: 'TARGET_UNREACHABLE',
  },
  {
    name: 'the user/password method, which was not offered',
    scheme: 'socks5',
    script: { replies: [bytes(0x05, 0x02)] },
    code: 'PROTOCOL_ERROR',
  },
  {
    name: 'no acceptable method',
    scheme: 'socks5',
    script: { replies: [bytes(0x05, 0xff)] },
    code: 'AUTH_REQUIRED',
  },
  {
    name: 'a failed RFC 1929 status',
    scheme: 'socks5',
    credentials: true,
    script: { replies: [bytes(0x05, 0x02), bytes(0x01, 0x01)] },
    code: 'AUTH_FAILED',
  },
  {
    name: 'an unassigned reply code',
    scheme: 'socks5',
    script: { replies: [bytes(0x05, 0x00), bytes(0x05, 0x09, 0x00, 0x01, 0, 0, 0, 0, 0, 0)] },
    code: 'PROTOCOL_ERROR',
  },
  {
    name: 'a reply in SOCKS4 to the SOCKS5 request',
    scheme: 'socks5',
    script: { replies: [bytes(0x05, 0x00), bytes(0x00, 0x5a, 0, 0, 0, 0, 0, 0)] },
    code: 'PROTOCOL_ERROR',
  },
  {
    name: 'address type 0x00',
    scheme: 'socks5',
    script: { replies: [bytes(0x05, 0x00), bytes(0x05, 0x00, 0x00, 0x00, 0, 0)] },
    code: 'PROTOCOL_ERROR',
  },
  {
    name: 'a 255-byte bound name that stops after 10 bytes',
    scheme: 'socks5',
    script: {
      replies: [
        bytes(0x05, 0x00),
        Buffer.concat([bytes(0x05, 0x00, 0x00, 0x03, 255), Buffer.alloc(10, 0x61)]),
      ],
    },
    code: 'HOP_TIMEOUT',
    timer: true,
  },
  {
    name: 'an unknown SOCKS4 reply code',
    scheme: 'socks4',
    script: { replies: [bytes(0x00, 0x99, 0, 0, 0, 0, 0, 0)] },
    code: 'PROTOCOL_ERROR',
  },
  {
    name: 'a SOCKS4 reply cut after its first byte',
    scheme: 'socks4',
    script: { replies: [bytes(0x00)], after: 'end' },
    code: 'PROTOCOL_ERROR',
  },
];

describe('malformed replies fail with the documented code within the per-hop limit', () => {
  it.each(FAILURES)('$scheme: $name', async ({ scheme, credentials, script, code, timer }) => {
    const bad = await proxy(script);
    const userinfo = credentials ? auth : scheme === 'socks4' ? 'bob@' : '';
    const chain = new Chain([`${scheme}://${userinfo}127.0.0.1:${bad.port}`], OPTIONS);
    const result = await settle(chain.connect({ host: '127.0.0.1', port: target.port }));
    expect(result.error).toBeInstanceOf(ChainError);
    const error = result.error as ChainError;
    expect([code].flat()).toContain(error.code);
    expect(error.hopIndex).toBe(0);
    expectNoSecret(error);
    expect(result.ms).toBeLessThan(HOP_LIMIT + MARGIN);
    // Not by the timer when the reply itself is wrong: the failure comes as soon as it is seen.
    if (timer) expect(result.ms).toBeGreaterThanOrEqual(HOP_LIMIT - 5);
    else expect(result.ms).toBeLessThan(HOP_LIMIT - 50);
    await eventually(() => bad.open() === 0);
  });
});

describe('odd but valid replies open the tunnel', () => {
  it.each([
    [
      'http',
      'a 200 that claims a 10^20-byte body (a 2xx to CONNECT has none)',
      'HTTP/1.1 200 OK\r\nContent-Length: 100000000000000000000\r\n\r\n',
    ],
    [
      'http',
      'a 200 with Transfer-Encoding: chunked',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n',
    ],
    ['http', 'a 200 without a reason phrase, HTTP/1.0', 'HTTP/1.0 200\r\n\r\n'],
    ['http', 'a head ended by bare LFs (RFC 9112 2.2)', 'HTTP/1.1 200 OK\nX: y\n\n'],
    [
      'http',
      'interim 1xx replies before the 200',
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 200 OK\r\n\r\n',
    ],
  ] as const)('%s: %s', async (_scheme, _name, reply) => {
    const good = await proxy({ replies: [reply], after: 'echo' });
    const socket = await new Chain([`http://127.0.0.1:${good.port}`], OPTIONS).connect({
      host: '127.0.0.1',
      port: target.port,
    });
    expect(await echo(socket, 'still a tunnel')).toBe('still a tunnel');
    socket.destroy();
  });

  it('socks5: a bound address given as a 255-byte name', async () => {
    const reply = Buffer.concat([bytes(0x05, 0x00, 0x00, 0x03, 255), Buffer.alloc(255, 0x61), bytes(0, 80)]);
    const good = await proxy({ replies: [bytes(0x05, 0x00), reply], after: 'echo' });
    const socket = await new Chain([`socks5://127.0.0.1:${good.port}`], OPTIONS).connect(
      `localhost:${target.port}`,
    );
    // The whole bound address was consumed: the first byte the application sees is its own echo.
    expect(await echo(socket, 'after the name')).toBe('after the name');
    socket.destroy();
  });

  it('socks5: an IPv6 bound address', async () => {
    const reply = Buffer.concat([bytes(0x05, 0x00, 0x00, 0x04), Buffer.alloc(16, 0), bytes(0, 80)]);
    const good = await proxy({ replies: [bytes(0x05, 0x00), reply], after: 'echo' });
    const socket = await new Chain([`socks5://127.0.0.1:${good.port}`], OPTIONS).connect({
      host: '127.0.0.1',
      port: target.port,
    });
    expect(await echo(socket, 'v6 bound')).toBe('v6 bound');
    socket.destroy();
  });

  it('socks4: a reply whose version byte is 4 (servers that echo it)', async () => {
    const good = await proxy({ replies: [bytes(0x04, 0x5a, 0, 0, 0, 0, 0, 0)], after: 'echo' });
    const socket = await new Chain([`socks4://127.0.0.1:${good.port}`], OPTIONS).connect({
      host: '127.0.0.1',
      port: target.port,
    });
    expect(await echo(socket, 'v4')).toBe('v4');
    socket.destroy();
  });
});

describe('the scripted proxy itself', () => {
  it('answers only after a complete message (a reply can never arrive early)', async () => {
    const fixture = await proxy({ replies: ['x'] });
    const socket = net.connect(fixture.port, '127.0.0.1');
    const got: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => got.push(chunk));
    socket.write('CONNECT a:1 HTTP/1.1\r\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(got).toEqual([]);
    socket.write('\r\n');
    await eventually(() => got.length > 0);
    expect(Buffer.concat(got).toString()).toBe('x');
    socket.destroy();
  });
});
