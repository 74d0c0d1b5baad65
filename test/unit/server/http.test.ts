/** chain.serve() with an HTTP listener: CONNECT and absolute-form forwarding, 502/504 replies, 407 for its own auth. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { Chain } from '../../../src/index.js';
import type { ServeHandle } from '../../../src/server/serve.js';
import {
  certs,
  closedPort,
  type Fixture,
  patternBytes,
  startHostileServer,
  startHttpOrigin,
  startHttpProxy,
  startSocksServer,
} from '../../fixtures/index.js';
import { hopUrl, SECRET, USER } from '../../helpers.js';
import { connectTo, curl, portOf, RecordLog, readToEnd } from './helpers.js';

const CA_FILE = new URL('../../fixtures/certs/ca.crt', import.meta.url).pathname;
const fixtures: Fixture[] = [];
const chains: Chain[] = [];
const creds = { user: USER, pass: SECRET };
let socksProxy: Fixture;
let httpProxy: Fixture;
let origin: Fixture;
let tlsOrigin: Fixture;
let good: string[];

beforeAll(async () => {
  const auth = { username: USER, password: SECRET };
  [socksProxy, httpProxy, origin, tlsOrigin] = await Promise.all([
    startSocksServer({ versions: [5], auth }),
    startHttpProxy({ auth }),
    startHttpOrigin(),
    startHttpOrigin({ tls: certs.localhost }),
  ]);
  fixtures.push(socksProxy, httpProxy, origin, tlsOrigin);
  good = [hopUrl('socks5', socksProxy, creds), hopUrl('http', httpProxy, creds)];
});

afterAll(async () => {
  await Promise.all(chains.map((chain) => chain.close()));
  await Promise.all(fixtures.map((f) => f.close()));
});

async function serve(
  hops: string[],
  options: Partial<Parameters<Chain['serve']>[0]> = {},
  chainOptions: ConstructorParameters<typeof Chain>[1] = {},
): Promise<{ handle: ServeHandle; log: RecordLog; url: string; port: number }> {
  const chain = new Chain(hops, { timeoutMs: 5000, hopTimeoutMs: 3000, ...chainOptions });
  chains.push(chain);
  const log = new RecordLog();
  const handle = await chain.serve({
    listen: 'http://127.0.0.1:0',
    onConnection: log.onConnection,
    ...options,
  });
  const url = handle.urls()[0] as string;
  return { handle, log, url, port: portOf(url) };
}

/** Sends a raw request head and resolves with the whole response (the server closes). */
async function raw(port: number, text: string): Promise<string> {
  const socket = await connectTo(port);
  const reply = readToEnd(socket);
  socket.write(text);
  return (await reply).toString('latin1');
}

function get(
  url: string,
  agent: http.Agent,
  options: https.RequestOptions = {},
): Promise<{ status?: number; body: Buffer }> {
  const client = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    client
      .get(url, { agent, ...options }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

describe('clients through a two-hop chain', () => {
  let server: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    server = await serve(good);
  });

  it('curl -x forwards an absolute-form GET in origin-form, without proxy headers', async () => {
    const result = await curl([
      '-x',
      server.url,
      '-H',
      'Proxy-Authorization: Basic c2hvdWxkOm5vdGxlYWs=',
      `http://127.0.0.1:${origin.port}/path?q=1`,
    ]);
    const seen = JSON.parse(result.stdout) as { url: string; headers: Record<string, string> };
    expect(seen.url).toBe('/path?q=1');
    expect(seen.headers['proxy-authorization']).toBeUndefined();
    expect(seen.headers['proxy-connection']).toBeUndefined();
    expect(seen.headers.host).toBe(`127.0.0.1:${origin.port}`);
    const record = (await server.log.waitFor(1)).at(-1);
    expect(record).toMatchObject({ result: 'ok', protocol: 'http', target: `127.0.0.1:${origin.port}` });
    expect(record?.bytesDown).toBe(Buffer.byteLength(result.stdout));
  });

  it('curl -x forwards a POST body intact', async () => {
    const body = 'x'.repeat(200_000);
    const file = join(mkdtempSync(join(tmpdir(), 'sockschain-post-')), 'body');
    writeFileSync(file, body);
    const result = await curl([
      '-x',
      server.url,
      '--data-binary',
      `@${file}`,
      `http://127.0.0.1:${origin.port}/echo`,
    ]);
    expect(result.stdout).toBe(body);
    const chunked = await curl([
      '-x',
      server.url,
      '-H',
      'Transfer-Encoding: chunked',
      '-H',
      'Expect: 100-continue',
      '--data-binary',
      `@${file}`,
      `http://127.0.0.1:${origin.port}/echo`,
    ]);
    expect(chunked.stdout).toBe(body);
  });

  it('curl -p opens a CONNECT tunnel', async () => {
    const before = server.log.records.length;
    const result = await curl(['-p', '-x', server.url, `http://localhost:${origin.port}/tunnelled`]);
    expect(JSON.parse(result.stdout)).toMatchObject({ url: '/tunnelled' });
    const record = (await server.log.waitFor(before + 1)).at(-1);
    expect(record).toMatchObject({
      result: 'ok',
      protocol: 'http-connect',
      target: `localhost:${origin.port}`,
    });
  });

  it('curl https:// through CONNECT, verifying the origin certificate', async () => {
    const result = await curl([
      '-x',
      server.url,
      '--cacert',
      CA_FILE,
      `https://localhost:${tlsOrigin.port}/secure`,
    ]);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toMatchObject({ url: '/secure' });
  });

  it('curl reuses its connection to the listener for two requests: two records', async () => {
    const own = await serve(good);
    const result = await curl([
      '-x',
      own.url,
      `http://127.0.0.1:${origin.port}/one`,
      `http://127.0.0.1:${origin.port}/two`,
    ]);
    expect(result.stdout).toContain('"/one"');
    expect(result.stdout).toContain('"/two"');
    const records = await own.log.waitFor(2);
    expect(records.map((r) => r.result)).toEqual(['ok', 'ok']);
    expect(new Set(records.map((r) => r.client)).size).toBe(1);
  });

  it('http-proxy-agent (absolute-form) downloads a megabyte intact', async () => {
    const agent = new HttpProxyAgent(server.url);
    const { status, body } = await get(`http://127.0.0.1:${origin.port}/bytes/1048576`, agent);
    agent.destroy();
    expect(status).toBe(200);
    expect(body.equals(patternBytes(1048576))).toBe(true);
  });

  it('https-proxy-agent (CONNECT) to an https origin', async () => {
    const agent = new HttpsProxyAgent(server.url);
    const { status, body } = await get(`https://localhost:${tlsOrigin.port}/agent`, agent, { ca: certs.ca });
    agent.destroy();
    expect(status).toBe(200);
    expect(JSON.parse(body.toString())).toMatchObject({ url: '/agent' });
  });
});

describe('WebSocket (ws://) through the HTTP listener', () => {
  it('an absolute-form Upgrade becomes a tunnel: messages go both ways', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => wss.once('listening', resolve));
    wss.on('connection', (peer) => peer.on('message', (data) => peer.send(`echo:${data}`)));
    const server = await serve(good);
    const agent = new HttpProxyAgent(server.url);
    const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as { port: number }).port}/socket`, {
      agent,
    });
    await new Promise((resolve, reject) => client.once('open', resolve).once('error', reject));
    const reply = new Promise<string>((resolve) => client.once('message', (data) => resolve(String(data))));
    client.send('hello');
    expect(await reply).toBe('echo:hello');
    client.close();
    agent.destroy();
    const [record] = await server.log.waitFor(1);
    expect(record).toMatchObject({ result: 'ok', protocol: 'http' });
    await new Promise((resolve) => wss.close(resolve));
  });

  it('a failing chain answers the Upgrade with 502', async () => {
    const server = await serve([`socks5://127.0.0.1:${await closedPort()}`]);
    const agent = new HttpProxyAgent(server.url);
    const client = new WebSocket(`ws://127.0.0.1:${origin.port}/`, { agent });
    const error = await new Promise<Error>((resolve) => client.once('error', resolve));
    expect(error.message).toMatch(/Unexpected server response: 502/);
    agent.destroy();
  });
});

describe('failures: 502/504 with a body naming the hop and the code', () => {
  it.each([
    ['the first hop refuses', 'dead-first', 'HOP_UNREACHABLE', 1, 502],
    ['the target refuses', 'dead-target', 'TARGET_UNREACHABLE', 2, 502],
    ['a hop rejects the password', 'bad-password', 'AUTH_FAILED', 2, 502],
    ['a hop never answers', 'silent', 'HOP_TIMEOUT', 2, 504],
  ])('%s: %s', async (_name, scenario, code, hop, status) => {
    let hops = good;
    let port = origin.port;
    if (scenario === 'dead-first') hops = [`socks5://127.0.0.1:${await closedPort()}`, good[1] as string];
    if (scenario === 'dead-target') port = await closedPort();
    if (scenario === 'bad-password')
      hops = [good[0] as string, hopUrl('http', httpProxy, { user: USER, pass: 'no' })];
    if (scenario === 'silent') {
      const silent = await startHostileServer('silent');
      fixtures.push(silent);
      hops = [good[0] as string, `http://${USER}:${encodeURIComponent(SECRET)}@127.0.0.1:${silent.port}`];
    }
    const server = await serve(hops, {}, { hopTimeoutMs: 400 });

    const forwarded = await curl(['-x', server.url, '-i', `http://127.0.0.1:${port}/`]);
    expect(forwarded.stdout).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(forwarded.stdout).toMatch(new RegExp(`^X-Sockschain-Error: ${code}\\r?$`, 'mi'));
    expect(forwarded.stdout).toMatch(
      new RegExp(`^sockschain: ${code}: [^\\n]*\\bhop ${hop} \\([a-z0-9]+://[^)]*\\)`, 'm'),
    );
    expect(forwarded.stdout).not.toContain(SECRET);
    expect(forwarded.stdout).not.toContain(encodeURIComponent(SECRET));

    const tunnel = await raw(
      server.port,
      `CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`,
    );
    expect(tunnel).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(tunnel).toContain(`X-Sockschain-Hop: ${hop}\r\n`);
    expect(tunnel).toContain(`sockschain: ${code}: `);
    expect(tunnel).not.toContain(encodeURIComponent(SECRET));

    const records = await server.log.waitFor(2);
    expect(records.map((r) => r.result)).toEqual([code, code]);
    for (const line of server.log.lines()) expect(line).not.toContain(encodeURIComponent(SECRET));
  });

  it('curl -p reports the 502 of a failed CONNECT', async () => {
    const server = await serve([`socks5://127.0.0.1:${await closedPort()}`]);
    const result = await curl(['-p', '-x', server.url, `http://127.0.0.1:${origin.port}/`]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/502/);
  });
});

describe('listener credentials (HTTP Basic)', () => {
  const LISTENER_SECRET = 'http-l1stener:pw';
  let server: Awaited<ReturnType<typeof serve>>;
  let authed: string;
  beforeAll(async () => {
    server = await serve(good, { auth: { username: 'client', password: LISTENER_SECRET } });
    authed = server.url.replace('http://', `http://client:${encodeURIComponent(LISTENER_SECRET)}@`);
  });

  it('no credentials: 407 with a Basic challenge, for forwarding and for CONNECT', async () => {
    const forwarded = await curl(['-x', server.url, '-i', `http://127.0.0.1:${origin.port}/`]);
    expect(forwarded.stdout).toMatch(/^HTTP\/1\.1 407 /);
    expect(forwarded.stdout).toMatch(/^Proxy-Authenticate: Basic realm="sockschain"/m);
    const tunnel = await raw(server.port, `CONNECT 127.0.0.1:${origin.port} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(tunnel).toMatch(/^HTTP\/1\.1 407 /);
    expect(origin.log.filter((e) => e.type === 'request' && e.url === '/never')).toHaveLength(0);
  });

  it('wrong credentials: 407, and the attempt is logged without them', async () => {
    const before = server.log.records.length;
    const wrong = server.url.replace('http://', 'http://client:guessed-wrong@');
    const result = await curl(['-x', wrong, '-i', `http://127.0.0.1:${origin.port}/`]);
    expect(result.stdout).toMatch(/^HTTP\/1\.1 407 /);
    const record = (await server.log.waitFor(before + 1)).at(-1);
    expect(record).toMatchObject({ result: 'LISTENER_AUTH', detail: 'wrong user name or password' });
    for (const line of server.log.lines()) {
      expect(line).not.toContain('guessed-wrong');
      expect(line).not.toContain(LISTENER_SECRET);
    }
  });

  it('the right credentials get through, and the origin never sees them', async () => {
    const result = await curl(['-x', authed, `http://127.0.0.1:${origin.port}/authed`]);
    const seen = JSON.parse(result.stdout) as { url: string; headers: Record<string, string> };
    expect(seen.url).toBe('/authed');
    expect(seen.headers['proxy-authorization']).toBeUndefined();
    const tunnelled = await curl(['-p', '-x', authed, `http://127.0.0.1:${origin.port}/tunnel-authed`]);
    expect(JSON.parse(tunnelled.stdout)).toMatchObject({ url: '/tunnel-authed' });
  });

  it('http-proxy-agent and https-proxy-agent with credentials in the proxy URL', async () => {
    const plain = new HttpProxyAgent(authed);
    expect((await get(`http://127.0.0.1:${origin.port}/a`, plain)).status).toBe(200);
    plain.destroy();
    const secure = new HttpsProxyAgent(authed);
    expect((await get(`https://localhost:${tlsOrigin.port}/b`, secure, { ca: certs.ca })).status).toBe(200);
    secure.destroy();
  });
});

describe('requests the listener refuses', () => {
  let server: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    server = await serve(good, { handshakeTimeoutMs: 500 });
  });

  it.each([
    ['an origin-form request', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 400, /send absolute-form requests/],
    ['an https:// absolute-form request', 'GET https://x/ HTTP/1.1\r\nHost: x\r\n\r\n', 400, /CONNECT/],
    ['a CONNECT without a port', 'CONNECT localhost HTTP/1.1\r\nHost: x\r\n\r\n', 400, /host:port/],
    [
      'a request head over 16 KiB',
      `GET http://x/ HTTP/1.1\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
      /Too Large/,
    ],
    ['garbage', 'NOT HTTP AT ALL\r\n\r\n', 400, /Bad Request/],
  ])('%s: %s', async (_name, request, status, body) => {
    const reply = await raw(server.port, request);
    expect(reply).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(reply).toMatch(body);
  });

  it('a client that never finishes its request head gets 408 and is closed', async () => {
    const began = performance.now();
    const reply = await raw(server.port, 'GET http://127.0.0.1/ HTTP/1.1\r\nHost: x\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 408 /);
    expect(performance.now() - began).toBeGreaterThanOrEqual(400);
  });
});
