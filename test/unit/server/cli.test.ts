/** `sockschain serve` end to end: the built CLI as a subprocess, used by curl and Node clients. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { SocksProxyAgent } from 'socks-proxy-agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  certs,
  closedPort,
  type Fixture,
  startEchoServer,
  startHostileServer,
  startHttpOrigin,
  startHttpProxy,
  startSocksServer,
} from '../../fixtures/index.js';
import { hopUrl, SECRET, USER } from '../../helpers.js';
import { cleanEnv, ensureBuilt, expectNoSecretIn, runCli } from '../cli/run-cli.js';
import { connectTo, curl, hostPortOf, portOf, readMore, socks5Connect } from './helpers.js';
import { type ServeProcess, startServe } from './serve-process.js';

const fixtures: Fixture[] = [];
const processes: ServeProcess[] = [];
const creds = { user: USER, pass: SECRET };
const LISTEN = ['--listen', 'socks5://127.0.0.1:0', '--listen', 'http://127.0.0.1:0'];
let httpProxy: Fixture;
let socksProxy: Fixture;
let tlsProxy: Fixture;
let origin: Fixture;
let tlsOrigin: Fixture;
let echoServer: Fixture;
let good: string;

beforeAll(async () => {
  const auth = { username: USER, password: SECRET };
  [httpProxy, socksProxy, tlsProxy, origin, tlsOrigin, echoServer] = await Promise.all([
    startHttpProxy({ auth }),
    startSocksServer({ versions: [5], auth, deny: (host) => host === 'denied.localhost' }),
    startHttpProxy({ tls: certs.localhost }),
    startHttpOrigin(),
    startHttpOrigin({ tls: certs.localhost }),
    startEchoServer(),
  ]);
  fixtures.push(httpProxy, socksProxy, tlsProxy, origin, tlsOrigin, echoServer);
  good = [hopUrl('http', httpProxy, creds), hopUrl('socks5', socksProxy, creds)].join(',');
  await ensureBuilt();
}, 120_000);

afterAll(async () => {
  for (const proc of processes) if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
  await Promise.all(fixtures.map((f) => f.close()));
});

async function serve(args: string[], options: Parameters<typeof startServe>[1] = {}): Promise<ServeProcess> {
  const proc = await startServe(args, options);
  processes.push(proc);
  return proc;
}

function nodeGet(url: string, agent: http.Agent, ca?: string): Promise<{ status?: number; body: string }> {
  const client = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    client
      .get(url, { agent, ca }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode, body }));
      })
      .on('error', reject);
  });
}

const LOG_LINE =
  /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ 127\.0\.0\.1:\d+ (\S+) -> (\S+) via 2 hops: ok up=\d+(\.\d)?[KMG]?i?B down=\d+(\.\d)?[KMG]?i?B \d+ms$/;

describe('a serve process used by curl and Node clients', () => {
  it('prints its listeners, carries traffic, logs one line per connection, exits 0 on SIGTERM', async () => {
    const proc = await serve(['--chain', good, ...LISTEN]);
    const [socksUrl, httpUrl] = proc.urls as [string, string];
    expect(socksUrl).toMatch(/^socks5:\/\/127\.0\.0\.1:\d+$/);
    expect(httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const bySocks = await curl([
      '--socks5-hostname',
      hostPortOf(socksUrl),
      `http://localhost:${origin.port}/s5`,
    ]);
    expect(JSON.parse(bySocks.stdout)).toMatchObject({ url: '/s5' });
    const bySocks4a = await curl(['--socks4a', hostPortOf(socksUrl), `http://localhost:${origin.port}/s4a`]);
    expect(JSON.parse(bySocks4a.stdout)).toMatchObject({ url: '/s4a' });
    const byHttp = await curl(['-x', httpUrl, `http://127.0.0.1:${origin.port}/fwd`]);
    expect(JSON.parse(byHttp.stdout)).toMatchObject({ url: '/fwd' });
    const byConnect = await curl([
      '-x',
      httpUrl,
      '--cacert',
      new URL('../../fixtures/certs/ca.crt', import.meta.url).pathname,
      `https://localhost:${tlsOrigin.port}/tls`,
    ]);
    expect(JSON.parse(byConnect.stdout)).toMatchObject({ url: '/tls' });

    const socksAgent = new SocksProxyAgent(`socks5h://${hostPortOf(socksUrl)}`);
    expect(await nodeGet(`http://localhost:${origin.port}/node-socks`, socksAgent)).toMatchObject({
      status: 200,
    });
    socksAgent.destroy();
    const httpsAgent = new HttpsProxyAgent(httpUrl);
    const secure = await nodeGet(`https://localhost:${tlsOrigin.port}/node-connect`, httpsAgent, certs.ca);
    expect(JSON.parse(secure.body)).toMatchObject({ url: '/node-connect' });
    httpsAgent.destroy();

    const lines = await proc.waitForLog(LOG_LINE, 6);
    expect(lines.map((line) => LOG_LINE.exec(line)?.[1]).sort()).toEqual([
      'http',
      'http-connect',
      'http-connect',
      'socks4a',
      'socks5',
      'socks5',
    ]);
    expect(proc.stderr()).toContain('sockschain serve: forwarding through http://alice:***@127.0.0.1:');
    expect(await proc.stop('SIGTERM')).toBe(0);
    expectNoSecretIn({ stdout: proc.stdout(), stderr: proc.stderr() }, SECRET);
  });

  it('--verbose adds per-hop timings; --quiet logs nothing', async () => {
    const verbose = await serve(['--chain', good, '--listen', 'socks5://127.0.0.1:0', '--verbose']);
    await curl([
      '--socks5-hostname',
      hostPortOf(verbose.urls[0] as string),
      `http://localhost:${origin.port}/`,
    ]);
    const [line] = await verbose.waitForLog(/ via 2 hops: ok /);
    expect(line).toMatch(/\[hop1 tcp [\d.]+ms, hop1 handshake [\d.]+ms, hop2 handshake [\d.]+ms\]$/);
    expect(await verbose.stop()).toBe(0);

    const quiet = await serve(['--chain', good, '--listen', 'socks5://127.0.0.1:0', '--quiet']);
    const result = await curl([
      '--socks5-hostname',
      hostPortOf(quiet.urls[0] as string),
      `http://localhost:${origin.port}/`,
    ]);
    expect(result.code).toBe(0);
    expect(await quiet.stop()).toBe(0);
    expect(quiet.stderr()).toBe('');
  });

  it('takes the chain from --config and from PROXY_CHAIN', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sockschain-serve-')), 'chain.json');
    writeFileSync(file, JSON.stringify({ hops: good.split(',') }));
    const fromFile = await serve(['--config', file, '--listen', 'socks5://127.0.0.1:0']);
    const viaFile = await curl([
      '--socks5-hostname',
      hostPortOf(fromFile.urls[0] as string),
      `http://localhost:${origin.port}/file`,
    ]);
    expect(JSON.parse(viaFile.stdout)).toMatchObject({ url: '/file' });
    expect(await fromFile.stop()).toBe(0);

    const fromEnv = await serve(['--listen', 'http://127.0.0.1:0'], { env: cleanEnv({ PROXY_CHAIN: good }) });
    const viaEnv = await curl(['-x', fromEnv.urls[0] as string, `http://127.0.0.1:${origin.port}/env`]);
    expect(JSON.parse(viaEnv.stdout)).toMatchObject({ url: '/env' });
    expect(await fromEnv.stop()).toBe(0);
    expectNoSecretIn({ stdout: fromEnv.stdout(), stderr: fromEnv.stderr() }, SECRET);
  });
});

interface FailureCase {
  code: string;
  hop: number;
  status: 502 | 504;
  socks: number;
  hops: () => Promise<string[]>;
  host?: string;
}

describe('a failing hop of each kind, as clients and the log see it', () => {
  const withCreds = (fixture: Fixture) => hopUrl('http', fixture, creds);
  const cases: FailureCase[] = [
    {
      code: 'HOP_UNREACHABLE',
      hop: 1,
      status: 502,
      socks: 0x05,
      hops: async () => [`http://127.0.0.1:${await closedPort()}`, hopUrl('socks5', socksProxy, creds)],
    },
    {
      code: 'AUTH_FAILED',
      hop: 2,
      status: 502,
      socks: 0x01,
      hops: async () => [withCreds(httpProxy), hopUrl('socks5', socksProxy, { user: USER, pass: 'wrong' })],
    },
    {
      code: 'AUTH_REQUIRED',
      hop: 1,
      status: 502,
      socks: 0x01,
      hops: async () => [hopUrl('http', httpProxy), hopUrl('socks5', socksProxy, creds)],
    },
    {
      code: 'PROXY_DENIED',
      hop: 2,
      status: 502,
      socks: 0x02,
      hops: async () => good.split(','),
      host: 'denied.localhost',
    },
    {
      code: 'TLS_FAILED',
      hop: 2,
      status: 502,
      socks: 0x01,
      hops: async () => [withCreds(httpProxy), hopUrl('https', tlsProxy)],
    },
    {
      code: 'PROTOCOL_ERROR',
      hop: 2,
      status: 502,
      socks: 0x01,
      hops: async () => {
        const speaksHttp = await startHostileServer('http-reply');
        fixtures.push(speaksHttp);
        return [withCreds(httpProxy), `socks5://127.0.0.1:${speaksHttp.port}`];
      },
    },
    {
      code: 'HOP_TIMEOUT',
      hop: 2,
      status: 504,
      socks: 0x06,
      hops: async () => {
        const silent = await startHostileServer('silent');
        fixtures.push(silent);
        return [withCreds(httpProxy), `socks5://127.0.0.1:${silent.port}`];
      },
    },
  ];
  it.each(cases)('$code at hop $hop: HTTP $status, SOCKS5 reply $socks', async (failure) => {
    const host = failure.host ?? '127.0.0.1';
    const proc = await serve(['--chain', (await failure.hops()).join(','), '--timeout', '1s', ...LISTEN]);
    const [socksUrl, httpUrl] = proc.urls as [string, string];
    const target = `http://${host}:${origin.port}/`;

    const forwarded = await curl(['-i', '-x', httpUrl, target]);
    expect(forwarded.stdout).toMatch(new RegExp(`^HTTP/1\\.1 ${failure.status} `));
    expect(forwarded.stdout).toMatch(
      new RegExp(`^sockschain: ${failure.code}: [^\\n]*\\bhop ${failure.hop} \\(`, 'm'),
    );
    // The hop is named once (issue 12: the label used to be repeated).
    const body = forwarded.stdout.split('\n').find((l) => l.startsWith('sockschain: ')) ?? '';
    expect(body.split(`hop ${failure.hop} (`).length).toBe(2);

    const { reply, socket } = await socks5Connect(portOf(socksUrl), { host, port: origin.port });
    expect(reply).toBe(failure.socks);
    socket.destroy();
    const viaCurl = await curl(['--socks5-hostname', hostPortOf(socksUrl), target]);
    expect(viaCurl.code).not.toBe(0);

    const lines = await proc.waitForLog(new RegExp(` ${failure.code} at hop ${failure.hop} \\(`), 3);
    expect(lines[0]).toMatch(/^\S+ 127\.0\.0\.1:\d+ (http|socks5) -> \S+ via 2 hops: /);
    expect(await proc.stop()).toBe(0);
    expectNoSecretIn({ stdout: forwarded.stdout + proc.stdout(), stderr: proc.stderr() }, SECRET);
  });
});

describe('listener credentials', () => {
  const LISTENER_SECRET = 'cli-l1stener-pw';
  it.each([
    [
      '--auth',
      (args: string[]) => ({ args: [...args, '--auth', `client:${LISTENER_SECRET}`], env: cleanEnv() }),
    ],
    [
      'SOCKSCHAIN_SERVE_AUTH',
      (args: string[]) => ({ args, env: cleanEnv({ SOCKSCHAIN_SERVE_AUTH: `client:${LISTENER_SECRET}` }) }),
    ],
  ])('from %s: clients must give them; they never show in the output', async (_from, build) => {
    const { args, env } = build(['--chain', good, ...LISTEN]);
    const proc = await serve(args, { env, listeners: 2 });
    const [socksUrl, httpUrl] = proc.urls as [string, string];
    const withCreds = (url: string) => url.replace('://', `://client:${LISTENER_SECRET}@`);

    const ok = await curl(['-x', withCreds(httpUrl), `http://127.0.0.1:${origin.port}/ok`]);
    expect(JSON.parse(ok.stdout)).toMatchObject({ url: '/ok' });
    const okSocks = await curl([
      '-x',
      withCreds(socksUrl).replace('socks5:', 'socks5h:'),
      `http://localhost:${origin.port}/ok`,
    ]);
    expect(JSON.parse(okSocks.stdout)).toMatchObject({ url: '/ok' });

    const missing = await curl(['-i', '-x', httpUrl, `http://127.0.0.1:${origin.port}/`]);
    expect(missing.stdout).toMatch(/^HTTP\/1\.1 407 /);
    const wrongSocks = await curl([
      '-x',
      socksUrl.replace('://', '://client:nope@'),
      `http://127.0.0.1:${origin.port}/`,
    ]);
    expect(wrongSocks.code).not.toBe(0);

    await proc.waitForLog(/LISTENER_AUTH/, 2);
    expect(await proc.stop()).toBe(0);
    expectNoSecretIn({ stdout: proc.stdout(), stderr: proc.stderr() }, LISTENER_SECRET);
    expectNoSecretIn({ stdout: proc.stdout(), stderr: proc.stderr() }, SECRET);
  });
});

describe('limits and shutdown', () => {
  it('--max-connections: the connection over the limit gets 503', async () => {
    const proc = await serve(['--chain', good, ...LISTEN, '--max-connections', '1']);
    const [socksUrl, httpUrl] = proc.urls as [string, string];
    const { reply, socket } = await socks5Connect(portOf(socksUrl), {
      host: '127.0.0.1',
      port: echoServer.port,
    });
    expect(reply).toBe(0);
    const over = await curl(['-i', '-x', httpUrl, `http://127.0.0.1:${origin.port}/`]);
    expect(over.stdout).toMatch(/^HTTP\/1\.1 503 /);
    expect(over.stdout).toContain('too many connections (limit 1)');
    await proc.waitForLog(/TOO_MANY_CONNECTIONS \(limit 1\)/);
    socket.destroy();
    expect(await proc.stop()).toBe(0);
  });

  it('SIGTERM: stops accepting, lets an open tunnel finish, then exits 0', async () => {
    const proc = await serve(['--chain', good, '--listen', 'socks5://127.0.0.1:0']);
    const port = portOf(proc.urls[0] as string);
    const { reply, socket } = await socks5Connect(port, { host: '127.0.0.1', port: echoServer.port });
    expect(reply).toBe(0);
    proc.child.kill('SIGTERM');
    await proc.waitForLog(/SIGTERM: no longer accepting; 1 connection\(s\) open, draining/);
    await expect(connectTo(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    socket.write('after SIGTERM');
    expect(await readMore(socket, 13)).toBe('after SIGTERM');
    expect(proc.child.exitCode).toBeNull();
    socket.end();
    expect(await proc.exited).toBe(0);
    expect(proc.stderr()).toMatch(
      new RegExp(`-> 127\\.0\\.0\\.1:${echoServer.port} via 2 hops: ok up=13B down=13B`),
    );
  });

  it('--drain-timeout: a tunnel still open is cut, and the exit is still 0', async () => {
    const proc = await serve([
      '--chain',
      good,
      '--listen',
      'socks5://127.0.0.1:0',
      '--drain-timeout',
      '300ms',
    ]);
    const { socket } = await socks5Connect(portOf(proc.urls[0] as string), {
      host: '127.0.0.1',
      port: echoServer.port,
    });
    const began = performance.now();
    expect(await proc.stop('SIGTERM')).toBe(0);
    expect(performance.now() - began).toBeGreaterThanOrEqual(250);
    expect(proc.stderr()).toContain('cut 1 connection(s) still open after draining');
    socket.destroy();
  });

  it('a second SIGINT cuts at once', async () => {
    const proc = await serve(['--chain', good, '--listen', 'socks5://127.0.0.1:0', '--drain-timeout', '30s']);
    const { socket } = await socks5Connect(portOf(proc.urls[0] as string), {
      host: '127.0.0.1',
      port: echoServer.port,
    });
    proc.child.kill('SIGINT');
    await proc.waitForLog(/SIGINT: no longer accepting/);
    proc.child.kill('SIGINT');
    expect(await proc.exited).toBe(0);
    expect(proc.stderr()).toContain('SIGINT again: closing the remaining connections now');
    socket.destroy();
  });
});

describe('start-up errors', () => {
  it.each([
    [
      ['--listen', 'socks5://0.0.0.0:0'],
      /refusing to listen on socks5:\/\/0\.0\.0\.0:0 without credentials.*--auth user:pass.*--allow-public/,
    ],
    [['--listen', 'ftp://127.0.0.1:21'], /listen address must be socks5:\/\/HOST:PORT or http:\/\/HOST:PORT/],
    [
      ['--listen', 'socks5://127.0.0.1:0', '--max-connections', 'lots'],
      /--max-connections must be a whole number/,
    ],
    [['--drain-timeout', 'soon'], /--drain-timeout must be a positive duration/],
    [['--auth', 'nopassword'], /listener auth needs a password/],
    [['--quiet', '--verbose'], /--quiet and --verbose exclude each other/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['extra'], /unexpected argument "extra"/],
  ])('%j: exit 64 naming the problem', async (args, message) => {
    const result = await runCli(['serve', '--chain', good, ...args]);
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
    expectNoSecretIn(result, SECRET);
  });

  it('no chain anywhere: exit 64 saying how to give one', async () => {
    const result = await runCli(['serve', '--listen', 'socks5://127.0.0.1:0']);
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(/no chain configured: give --chain URLS/);
  });

  it('a port in use: exit 1 naming it', async () => {
    const result = await runCli([
      'serve',
      '--chain',
      good,
      '--listen',
      `http://127.0.0.1:${echoServer.port}`,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `cannot listen on http://127.0.0.1:${echoServer.port}: EADDRINUSE (another program uses that port`,
    );
  });

  it('--help prints the options and exits 0', async () => {
    const result = await runCli(['serve', '--help']);
    expect(result.code).toBe(0);
    for (const option of [
      '--listen',
      '--auth',
      '--allow-public',
      '--max-connections',
      '--drain-timeout',
      '--quiet',
      '--verbose',
      '--chain',
      '--config',
    ]) {
      expect(result.stdout).toContain(option);
    }
  });
});
