/** `sockschain check`: subprocess runs from dist/, plus the TTY progress bar in-process. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as checkInProcess } from '../../../src/cli/check/check.js';
import {
  certs,
  closedPort,
  type Fixture,
  startHostileServer,
  startHttpOrigin,
  startHttpProxy,
  startSocksServer,
} from '../../fixtures/index.js';
import { hopUrl, SECRET, USER } from '../../helpers.js';
import { ensureBuilt, expectNoSecretIn, ROOT, runCli } from './run-cli.js';

const CA = `${ROOT}test/fixtures/certs/ca.crt`;
const creds = { user: USER, pass: SECRET };
const fixtures: Fixture[] = [];
let dir: string;
let origin: Fixture;
const url = {} as Record<
  'http' | 'socks' | 'https' | 'noAuth' | 'wrongPass' | 'closed' | 'denyAll' | 'notSocks',
  string
>;

beforeAll(async () => {
  const auth = { username: USER, password: SECRET };
  const [http, socks, https, denyAll, o] = await Promise.all([
    startHttpProxy({ auth }),
    startSocksServer({ versions: [5], auth }),
    startHttpProxy({ tls: certs.localhost }),
    startHttpProxy({ deny: () => true }),
    startHttpOrigin(),
  ]);
  origin = o;
  fixtures.push(http, socks, https, denyAll, origin);
  url.http = hopUrl('http', http, creds);
  url.socks = hopUrl('socks5', socks, creds);
  url.https = hopUrl('https', https);
  url.noAuth = `socks5://127.0.0.1:${socks.port}`;
  url.wrongPass = hopUrl('http', http, { user: USER, pass: 'wrong' });
  url.closed = `http://127.0.0.1:${await closedPort()}`;
  url.denyAll = `http://127.0.0.1:${denyAll.port}`;
  url.notSocks = `socks5://127.0.0.1:${origin.port}`;
  dir = mkdtempSync(join(tmpdir(), 'sockschain-check-'));
  await ensureBuilt();
}, 120_000);

afterAll(async () => {
  await Promise.all(fixtures.map((f) => f.close()));
  rmSync(dir, { recursive: true, force: true });
});

function listFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

type Result = {
  url: string;
  status: string;
  alive: boolean | null;
  protocolConfirmed: boolean | null;
  auth: string | null;
  latencyMs: number;
  reachesTarget: boolean | null;
  error: { code: string; hint: string } | null;
};

describe('check a list of proxies', () => {
  it('prints a table, working proxies first by latency, and says why the others fail', async () => {
    const result = await runCli([
      'check',
      '--ca',
      CA,
      url.http,
      url.closed,
      url.socks,
      url.wrongPass,
      url.https,
      url.noAuth,
      url.notSocks,
    ]);
    expect(result.code).toBe(1);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('check 7 proxies (timeout 5000 ms)');
    const rows = lines.filter((l) => /^\s+(http|https|socks5):\/\//.test(l));
    expect(rows).toHaveLength(7);
    expect(rows.slice(0, 3).every((r) => /\sok\s/.test(r))).toBe(true);
    const ms = rows.slice(0, 3).map((r) => Number(/\sok\s+([\d.]+)\s/.exec(r)?.[1]));
    expect([...ms].sort((a, b) => a - b)).toEqual(ms);
    const failed = (code: string) => rows.find((r) => r.endsWith(code));
    expect(failed('HOP_UNREACHABLE')).toMatch(/failed/);
    expect(failed('AUTH_FAILED')).toMatch(/failed.*rejected\s+AUTH_FAILED$/);
    expect(failed('AUTH_REQUIRED')).toMatch(/failed.*required\s+AUTH_REQUIRED$/);
    expect(failed('PROTOCOL_ERROR')).toMatch(/failed/);
    expect(result.stdout).toMatch(/3 of 7 working\./);
    expect(result.stdout).toMatch(/hint: hop 1 rejected the credentials/);
    expect(result.stdout).toMatch(/hint: nothing listens on hop 1's address/);
    expectNoSecretIn(result, SECRET);
  });

  it('--json: schema 1, a summary, and per proxy what was confirmed', async () => {
    const result = await runCli([
      'check',
      '--json',
      '--ca',
      CA,
      url.http,
      url.closed,
      url.wrongPass,
      url.notSocks,
      url.denyAll,
    ]);
    expect(result.code).toBe(1);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({
      schema: 1,
      command: 'check',
      via: [],
      target: null,
      timeoutMs: 5000,
      exitCode: 1,
    });
    expect(json.summary).toEqual({ total: 5, ok: 2, failed: 3 });
    const results = json.results as Result[];
    const redactedHttp = `http://alice:***@${url.http.split('@')[1]}`;
    // url.http and url.wrongPass print the same (password masked): told apart by outcome.
    const [good, wrong] = [
      results.filter((r) => r.url === redactedHttp && r.status === 'ok'),
      results.filter((r) => r.url === redactedHttp && r.status === 'failed'),
    ];
    expect(good).toEqual([
      expect.objectContaining({ alive: true, protocolConfirmed: true, auth: 'accepted', error: null }),
    ]);
    expect(wrong).toEqual([
      expect.objectContaining({
        alive: true,
        protocolConfirmed: true,
        auth: 'rejected',
        error: expect.objectContaining({ code: 'AUTH_FAILED' }),
      }),
    ]);
    const byUrl = new Map<string, Result>(results.map((r) => [r.url, r]));
    expect(byUrl.get(url.closed)).toMatchObject({
      status: 'failed',
      alive: false,
      protocolConfirmed: false,
      auth: 'none',
    });
    expect(byUrl.get(url.notSocks)).toMatchObject({
      status: 'failed',
      alive: true,
      protocolConfirmed: false,
    });
    // Without --target, a proxy that refuses the test tunnel in its own protocol is alive.
    expect(byUrl.get(url.denyAll)).toMatchObject({
      status: 'ok',
      alive: true,
      protocolConfirmed: true,
      error: { code: 'PROXY_DENIED' },
    });
    for (const r of json.results as Result[]) expect(r.latencyMs).toBeGreaterThan(0);
    expectNoSecretIn(result, SECRET);
  });

  it('--target: only proxies that open a tunnel to it count', async () => {
    const result = await runCli([
      'check',
      '--json',
      '--target',
      `127.0.0.1:${origin.port}`,
      url.http,
      url.denyAll,
    ]);
    const json = JSON.parse(result.stdout);
    expect(json.target).toBe(`127.0.0.1:${origin.port}`);
    const [first, second] = json.results as Result[];
    expect(first).toMatchObject({ status: 'ok', reachesTarget: true });
    expect(second).toMatchObject({ status: 'failed', reachesTarget: false, error: { code: 'PROXY_DENIED' } });
    expect(result.code).toBe(1);
    const text = await runCli(['check', '--target', `127.0.0.1:${origin.port}`, url.http]);
    expect(text.stdout).toMatch(/\sreachable\s*$/m);
    expect(text.code).toBe(0);
  });

  it('--csv: a header and one RFC 4180 row per proxy', async () => {
    const result = await runCli(['check', '--csv', url.socks, url.closed]);
    const lines = result.stdout.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'url,protocol,status,latency_ms,tcp_ms,tls_ms,handshake_ms,alive,protocol_confirmed,auth,target,reaches_target,code,phase,reply,hint',
    );
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^socks5:\/\/alice:\*\*\*@127\.0\.0\.1:\d+,socks5,ok,[\d.]+,/);
    // The hint holds commas: quoted.
    expect(lines[2]).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+,http,failed,.*,HOP_UNREACHABLE,tcp,,"nothing listens on .*"$/,
    );
    expectNoSecretIn(result, SECRET);
  });

  it('--alive-only prints the working URLs, fastest first, passwords masked', async () => {
    const result = await runCli(['check', '--alive-only', url.closed, url.socks, url.http]);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.sort()).toEqual([
      `http://alice:***@${url.http.split('@')[1]}`,
      `socks5://alice:***@${url.socks.split('@')[1]}`,
    ]);
    expectNoSecretIn(result, SECRET);
  });

  it('reads list files (comments, blank lines), a proxychains.conf, and stdin', async () => {
    const list = listFile(
      'list.txt',
      `# my proxies\n\n${url.http}   # the office one\n  ${url.closed}\n#${url.socks}\n`,
    );
    const socksPort = url.socks.split(':').at(-1);
    const conf = listFile(
      'proxychains.conf',
      `strict_chain\nproxy_dns\n[ProxyList]\nsocks5 127.0.0.1 ${socksPort} ${USER} ${SECRET}\n`,
    );
    const result = await runCli(['check', '--json', list, conf, '-'], { input: `${url.denyAll}\n` });
    const urls = (JSON.parse(result.stdout).results as Result[]).map((r) => r.url).sort();
    expect(urls).toEqual(
      [
        `http://alice:***@${url.http.split('@')[1]}`,
        url.closed,
        `socks5://alice:***@127.0.0.1:${socksPort}`,
        url.denyAll,
      ].sort(),
    );
    expectNoSecretIn(result, SECRET);
  });

  it('--via: each proxy is reached through the fixed hops first', async () => {
    const result = await runCli([
      'check',
      '--json',
      '--via',
      url.http,
      url.socks,
      url.closed.replace('http:', 'socks5:'),
    ]);
    const json = JSON.parse(result.stdout);
    expect(json.via).toEqual([`http://alice:***@${url.http.split('@')[1]}`]);
    const [ok, bad] = json.results as Result[];
    expect(ok).toMatchObject({ status: 'ok', auth: 'accepted' });
    expect(bad).toMatchObject({ status: 'failed', alive: false, error: { code: 'HOP_UNREACHABLE' } });
    expect(bad?.error?.hint).toMatch(/between hop 1 and hop 2/);
  });

  it('exits 0 when all work and 2 when none does', async () => {
    expect((await runCli(['check', url.socks, url.http])).code).toBe(0);
    expect((await runCli(['check', url.closed, url.notSocks])).code).toBe(2);
  });

  it('--concurrency bounds how many run at once; --timeout bounds each', async () => {
    const silent = await Promise.all([1, 2, 3, 4].map(() => startHostileServer('silent')));
    fixtures.push(...silent);
    const urls = silent.map((s) => `socks5://127.0.0.1:${s.port}`);
    // The most proxies held open at once, sampled while the command runs (no wall-clock race).
    const peakWhile = async (run: Promise<Awaited<ReturnType<typeof runCli>>>) => {
      let peak = 0;
      const timer = setInterval(() => {
        peak = Math.max(
          peak,
          silent.reduce((sum, s) => sum + s.open(), 0),
        );
      }, 10);
      const result = await run.finally(() => clearInterval(timer));
      return { result, peak };
    };
    const one = await peakWhile(
      runCli(['check', '--json', '--timeout', '400', '--concurrency', '1', ...urls]),
    );
    const four = await peakWhile(
      runCli(['check', '--json', '--timeout', '400', '--concurrency', '4', ...urls]),
    );
    expect(one.result.code).toBe(2);
    expect(four.result.code).toBe(2);
    for (const r of JSON.parse(four.result.stdout).results as Result[])
      expect(r.error?.code).toBe('HOP_TIMEOUT');
    expect(one.peak).toBe(1);
    expect(four.peak).toBe(4);
    expect(one.result.ms).toBeGreaterThanOrEqual(1600);
  });
});

describe('check usage errors: exit 64', () => {
  it('a proxy typed without a scheme, password included, is never echoed', async () => {
    const result = await runCli(['check', 'alice:S3cr3tPW@127.0.0.1:9']);
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(/alice:\*\*\*@127\.0\.0\.1:9/);
    expect(result.stdout + result.stderr).not.toContain('S3cr3tPW');
  });

  it.each([
    [['check'], /no proxies to check/],
    [['check', '--json', '--csv', 'http://127.0.0.1:1'], /choose one of --json, --csv/],
    [['check', '--reveal-credentials', 'http://127.0.0.1:1'], /reveal-credentials/],
    [['check', '/nonexistent/list.txt'], /cannot read \/nonexistent\/list\.txt: ENOENT/],
    [
      ['check', '127.0.0.1:3128'],
      /cannot read 127\.0\.0\.1:3128: ENOENT \(a proxy\? write it as a URL: http:\/\/127\.0\.0\.1:3128\)/,
    ],
    [['check', '--target', 'nowhere', 'http://127.0.0.1:1'], /target must be host:port/],
  ])('%j', async (args, message) => {
    const result = await runCli(args);
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(message);
  });

  it('names the file and line of a bad entry, without its password', async () => {
    const list = listFile(
      'bad.txt',
      `${url.http}\nftp://${USER}:${encodeURIComponent(SECRET)}@127.0.0.1:21\n`,
    );
    const result = await runCli(['check', list]);
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(/bad\.txt line 2: proxy has unsupported scheme "ftp:"/);
    expectNoSecretIn(result, SECRET);
  });
});

describe('the progress bar', () => {
  function io(tty: boolean) {
    const out = new PassThrough();
    const err = Object.assign(new PassThrough(), { isTTY: tty });
    let stdout = '';
    let stderr = '';
    out.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    err.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    return { io: { stdout: out, stderr: err, env: {} }, output: () => ({ stdout, stderr }) };
  }

  it('draws counts on a terminal and clears itself at the end', async () => {
    const { io: tty, output } = io(true);
    const code = await checkInProcess([url.socks, url.closed, url.http], tty, () => '');
    expect(code).toBe(1);
    const { stderr, stdout } = output();
    expect(stderr).toMatch(/\r\x1b\[K\[=+\s*\] 3\/3 {2}ok 2 {2}failed 1/);
    expect(stderr.endsWith('\r\x1b[K')).toBe(true);
    expect(stdout).toMatch(/2 of 3 working/);
  });

  it('stays silent when stderr is not a terminal', async () => {
    const { io: piped, output } = io(false);
    await checkInProcess([url.socks, url.closed], piped, () => '');
    expect(output().stderr).toBe('');
  });
});
