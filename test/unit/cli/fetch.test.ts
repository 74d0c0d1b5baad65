/** `sockschain fetch`, run as a subprocess from dist/ against in-process fixtures on 127.0.0.1. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  certs,
  closedPort,
  type Fixture,
  listen,
  patternBytes,
  startHttpOrigin,
  startHttpProxy,
  startSocksServer,
} from '../../fixtures/index.js';
import { hopUrl, SECRET, USER } from '../../helpers.js';
import { cleanEnv, ensureBuilt, expectNoSecretIn, ROOT, runCli } from './run-cli.js';

const CA = `${ROOT}test/fixtures/certs/ca.crt`;
const creds = { user: USER, pass: SECRET };
const fixtures: Fixture[] = [];
let http1: Fixture;
let socks: Fixture;
let origin: Fixture;
let httpsOrigin: Fixture;
let chain: string;
let notFound: http.Server;
let notFoundPort: number;
let dir: string;

beforeAll(async () => {
  const auth = { username: USER, password: SECRET };
  [http1, socks, origin, httpsOrigin] = await Promise.all([
    startHttpProxy({ auth }),
    startSocksServer({ versions: [5], auth }),
    startHttpOrigin(),
    startHttpOrigin({ tls: certs.localhost }),
  ]);
  fixtures.push(http1, socks, origin, httpsOrigin);
  chain = `${hopUrl('http', http1, creds)},${hopUrl('socks5', socks, creds)}`;
  notFound = http.createServer((req, res) => {
    if (req.url === '/truncated') {
      // Promises 1000 bytes, sends 7, hangs up.
      res.writeHead(200, { 'content-length': '1000' });
      res.write('partial');
      setTimeout(() => req.socket.destroy(), 50);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('no such page\n');
  });
  notFoundPort = await listen(notFound);
  dir = mkdtempSync(join(tmpdir(), 'sockschain-fetch-'));
  await ensureBuilt();
}, 120_000);

afterAll(async () => {
  await Promise.all(fixtures.map((f) => f.close()));
  notFound.closeAllConnections();
  await new Promise((resolve) => notFound.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

function fetchCli(...args: string[]) {
  return runCli(['fetch', '--chain', chain, ...args]);
}

type Echo = { method: string; url: string; headers: Record<string, string> };

describe('fetch through the chain', () => {
  it('GETs a page: the body on stdout, nothing on stderr, exit 0', async () => {
    const result = await fetchCli(`http://127.0.0.1:${origin.port}/hello?x=1`);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const seen = JSON.parse(result.stdout) as Echo;
    expect(seen).toMatchObject({ method: 'GET', url: '/hello?x=1' });
    expect(seen.headers.host).toBe(`127.0.0.1:${origin.port}`);
    expect(seen.headers['user-agent']).toMatch(/^sockschain\/\d+\.\d+\.\d+/);
    // The proxies' credentials stay with the proxies.
    expect(seen.headers['proxy-authorization']).toBeUndefined();
    expectNoSecretIn(result, SECRET);
  });

  it('-i writes the status line and headers first', async () => {
    const result = await fetchCli('-i', `http://127.0.0.1:${origin.port}/`);
    expect(result.stdout).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(result.stdout).toMatch(/\r\ncontent-type: application\/json\r\n/i);
    expect(result.stdout).toMatch(/\r\n\r\n\{"method":"GET"/);
  });

  it('-X, -H and -d (repeated, @FILE and @-) shape the request', async () => {
    const file = join(dir, 'body.txt');
    writeFileSync(file, 'from=file');
    const result = await runCli(
      [
        'fetch',
        '--chain',
        chain,
        '-X',
        'put',
        '-H',
        'X-Test: yes',
        '-H',
        'Accept:',
        '-d',
        'a=1',
        '-d',
        `@${file}`,
        '-d',
        '@-',
        `http://127.0.0.1:${origin.port}/echo`,
      ],
      { input: 'from=stdin' },
    );
    expect(result.code).toBe(0);
    const seen = origin.log.filter((e) => e.type === 'request').at(-1) as unknown as Echo;
    expect(seen.method).toBe('PUT');
    expect(seen.headers['x-test']).toBe('yes');
    expect(seen.headers.accept).toBeUndefined();
    expect(seen.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(seen.headers['content-length']).toBe(String('a=1&from=file&from=stdin'.length));
    // PUT /echo is not the echo route (POST is): the origin answers with what it saw.
    expect(JSON.parse(result.stdout)).toMatchObject({ method: 'PUT', url: '/echo' });
  });

  it('POSTs a body that comes back intact', async () => {
    const result = await fetchCli('-d', 'hello=world', `http://127.0.0.1:${origin.port}/echo`);
    expect(result.stdout).toBe('hello=world');
  });

  it('-o writes a large body to a file, byte for byte', async () => {
    const out = join(dir, 'bytes.bin');
    const result = await fetchCli('-o', out, `http://127.0.0.1:${origin.port}/bytes/1000000`);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(readFileSync(out).equals(patternBytes(1_000_000))).toBe(true);
  });

  it('speaks TLS to an https target, verified with --ca', async () => {
    const result = await fetchCli('--ca', CA, `https://localhost:${httpsOrigin.port}/secure`);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ url: '/secure' });
  });

  it('refuses a target certificate it does not trust (exit 1, DPI hint), unless -k', async () => {
    const refused = await fetchCli(`https://localhost:${httpsOrigin.port}/secure`);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(
      /^error: TARGET_TLS_FAILED: https:\/\/localhost:\d+\/secure: the certificate of localhost is not trusted/,
    );
    expect(refused.stderr).toMatch(/\nhint: the target's certificate is not trusted .*DPI.*--ca FILE/);
    const insecure = await fetchCli('-k', `https://localhost:${httpsOrigin.port}/secure`);
    expect(insecure.code).toBe(0);
  });

  it('--fail exits 22 on an HTTP error status; without it the body is printed and exit is 0', async () => {
    const failing = await fetchCli('--fail', `http://127.0.0.1:${notFoundPort}/missing`);
    expect(failing.code).toBe(22);
    const plain = await fetchCli(`http://127.0.0.1:${notFoundPort}/missing`);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe('no such page\n');
  });

  it('-v shows the chain, the timings and the headers on stderr, credentials masked', async () => {
    const result = await fetchCli(
      '-v',
      `http://${USER}:${encodeURIComponent(SECRET)}@127.0.0.1:${origin.port}/`,
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /^\* chain: http:\/\/alice:\*\*\*@127\.0\.0\.1:\d+ -> socks5:\/\/alice:\*\*\*@/,
    );
    expect(result.stderr).toMatch(
      /\* tunnel to 127\.0\.0\.1:\d+ up: hop 1 tcp [\d.]+ ms, hop 1 handshake [\d.]+ ms, hop 2 handshake/,
    );
    expect(result.stderr).toMatch(/^> GET \/ HTTP\/1\.1$/m);
    expect(result.stderr).toMatch(/^> authorization: \*\*\*$/m);
    expect(result.stderr).toMatch(/^< HTTP\/1\.1 200 OK/m);
    // The origin did get the user's own credentials (it asked for them in the URL).
    const seen = JSON.parse(result.stdout) as Echo;
    expect(seen.headers.authorization).toMatch(/^Basic /);
    expectNoSecretIn({ stdout: '', stderr: result.stderr }, SECRET);
  });
});

describe('fetch failures: the same error lines as probe, the same exit codes', () => {
  it('a hop that rejects the credentials: exit 2', async () => {
    const result = await runCli([
      'fetch',
      '--chain',
      hopUrl('socks5', socks, { user: USER, pass: 'nope' }),
      `http://127.0.0.1:${origin.port}/`,
    ]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^error: AUTH_FAILED: hop 1 \(socks5:\/\/alice:\*\*\*@127\.0\.0\.1:\d+\)/);
    expect(result.stderr).toMatch(/\nhint: hop 1 rejected the credentials/);
  });

  it('a target nobody listens on: exit 1', async () => {
    const result = await fetchCli(`http://127.0.0.1:${await closedPort()}/`);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: TARGET_UNREACHABLE: /);
    expectNoSecretIn(result, SECRET);
  });

  it('a first hop nobody listens on: exit 2', async () => {
    const result = await runCli([
      'fetch',
      '--chain',
      `http://127.0.0.1:${await closedPort()}`,
      `http://127.0.0.1:${origin.port}/`,
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: HOP_UNREACHABLE: /);
    expect(result.stderr).toMatch(/\nhint: nothing listens on hop 1's address/);
  });

  it('a body cut short by the server: exit 1, REQUEST_FAILED', async () => {
    const result = await fetchCli(`http://127.0.0.1:${notFoundPort}/truncated`);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('partial');
    expect(result.stderr).toMatch(/^error: REQUEST_FAILED: http:\/\/127\.0\.0\.1:\d+\/truncated: /);
  });

  it('a reader that stops early (| head) ends it quietly with exit 0', async () => {
    const child = spawn(
      process.execPath,
      [
        join(ROOT, 'bin/sockschain.js'),
        'fetch',
        '--chain',
        chain,
        `http://127.0.0.1:${origin.port}/bytes/50000000`,
      ],
      {
        env: cleanEnv(),
      },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise((resolve) => child.once('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it.each([
    [[], /give the URL to fetch/],
    [['ftp://127.0.0.1/'], /fetch speaks http:\/\/ and https:\/\/ only/],
    [['http://127.0.0.1/', 'http://127.0.0.1/'], /fetch takes one URL, got 2/],
    [['-H', 'nocolon', 'http://127.0.0.1/'], /-H needs "Name: value"/],
    [['-d', '@/nonexistent/file', 'http://127.0.0.1/'], /-d @\/nonexistent\/file: cannot read it \(ENOENT\)/],
    [['-X', 'GET POST', 'http://127.0.0.1/'], /-X: "GET POST" is not an HTTP method/],
  ])('usage error %j: exit 64', async (args, message) => {
    const result = await fetchCli(...args);
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(message);
  });
});
