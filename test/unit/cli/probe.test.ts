/** `sockschain probe`, run as a subprocess from dist/ against in-process fixtures on 127.0.0.1. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { certs, closedPort, type Fixture, startHttpOrigin, startHttpProxy } from '../../fixtures/index.js';
import { hopUrl, SECRET } from '../../helpers.js';
import { creds, probe, useProbeFixtures } from './probe-setup.js';
import { cleanEnv, expectNoSecretIn, runCli } from './run-cli.js';

let http: Fixture;
let socks: Fixture;
let origin: Fixture;
let https: Fixture;
let httpsOrigin: Fixture;
let chain: string;
const fixtures = useProbeFixtures();
const start = <T extends Fixture>(fixture: Promise<T>) => fixtures.start(fixture);
beforeAll(() => {
  ({ http, socks, https, origin, httpsOrigin, chain } = fixtures);
});

describe('probe through three working hops', () => {
  it('prints the hop table, exits 0, and never shows the password', async () => {
    const result = await probe('--chain', chain, `127.0.0.1:${origin.port}`);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe(`probe 127.0.0.1:${origin.port} through 3 hops`);
    expect(lines.find((l) => /^\s+1\s+http\s/.test(l))).toMatch(
      /http:\/\/alice:\*\*\*@127\.0\.0\.1:\d+\s+[\d.]+\s+—\s+ok\s+[\d.]+\s+ok$/,
    );
    expect(lines.find((l) => /^\s+2\s+socks5\s/.test(l))).toMatch(/via 1\s+—\s+ok\s+[\d.]+\s+ok$/);
    expect(lines.find((l) => /^\s+3\s+https\s/.test(l))).toMatch(/via 2\s+[\d.]+\s+—\s+[\d.]+\s+ok$/);
    expect(lines.find((l) => /^\s+→\s+target/.test(l))).toMatch(/via 3\s+reachable$/);
    expect(result.stdout).toMatch(/ok: tunnel to 127\.0\.0\.1:\d+ up in [\d.]+ ms/);
    expect(result.stdout).not.toMatch(/\x1b\[/);
    expectNoSecretIn(result, SECRET);
  });

  it('--json follows schema 2 with the same facts', async () => {
    const result = await probe('--json', '--chain', chain, `127.0.0.1:${origin.port}`);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({ schema: 2, command: 'probe', exitCode: 0 });
    expect(json.chain).toEqual([
      `http://alice:***@127.0.0.1:${http.port}`,
      `socks5://alice:***@127.0.0.1:${socks.port}`,
      `https://127.0.0.1:${https.port}`,
    ]);
    const [report] = json.results;
    expect(report).toMatchObject({
      target: `127.0.0.1:${origin.port}`,
      host: '127.0.0.1',
      port: origin.port,
      status: 'reachable',
      exitCode: 0,
      error: null,
      app: null,
    });
    expect(report.hops.map((h: { result: string }) => h.result)).toEqual(['ok', 'ok', 'ok']);
    expect(report.hops[0]).toMatchObject({
      index: 0,
      protocol: 'http',
      reachedThrough: null,
      tlsMs: null,
      auth: 'accepted',
    });
    expect(report.hops[0].tcpMs).toBeGreaterThanOrEqual(0);
    expect(report.hops[1]).toMatchObject({
      protocol: 'socks5',
      tcpMs: null,
      reachedThrough: 0,
      auth: 'accepted',
    });
    expect(report.hops[2]).toMatchObject({ protocol: 'https', reachedThrough: 1, auth: 'none' });
    expect(report.hops[2].tlsMs).toBeGreaterThan(0);
    for (const hop of report.hops) expect(hop.handshakeMs).toBeGreaterThanOrEqual(0);
    expect(report.totalMs).toBeGreaterThan(0);
    expectNoSecretIn(result, SECRET);
  });

  it('accepts URL and [v6] targets and probes several at once', async () => {
    const result = await probe('--json', '--chain', chain, `http://127.0.0.1:${origin.port}/x`, `[::1]:1`);
    const json = JSON.parse(result.stdout);
    expect(json.results.map((r: { target: string }) => r.target)).toEqual([
      `127.0.0.1:${origin.port}`,
      '[::1]:1',
    ]);
    expect(json.results.map((r: { status: string }) => r.status)).toEqual(['reachable', 'unreachable']);
    expect(result.code).toBe(1);
  });
});

describe('--app-check', () => {
  it('reports the HEAD status and a trusted certificate of an https target', async () => {
    const result = await probe(
      '--json',
      '--app-check',
      '--chain',
      chain,
      `https://localhost:${httpsOrigin.port}/`,
    );
    expect(result.code).toBe(0);
    const app = JSON.parse(result.stdout).results[0].app;
    expect(app).toMatchObject({ scheme: 'https', status: 200, error: null });
    expect(app.tls).toMatchObject({
      authorized: true,
      hostnameMatch: true,
      subject: expect.stringContaining('localhost'),
    });
    expect(app.tls.issuer).toMatch(/CN=/);
    const text = await probe('--app-check', '--chain', chain, `https://localhost:${httpsOrigin.port}/`);
    expect(text.stdout).toMatch(/app check: HEAD over https answered 200 OK/);
    expect(text.stdout).toMatch(/certificate: trusted; subject .*localhost.*; issuer /);
  });

  it('flags an untrusted certificate as possible interception, exit 1', async () => {
    const mitm = await start(startHttpOrigin({ tls: certs.selfSigned }));
    const result = await probe('--app-check', '--chain', chain, `https://localhost:${mitm.port}`);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/certificate: NOT trusted/);
    // The diagnosis's remedy takes the place of the hint line.
    expect(result.stdout).toMatch(/remedy: the target's certificate is not trusted .*DPI/);
    expect(result.stdout).toMatch(/^ {2}cause: tls-intercepted$/m);
    expect(result.stdout).not.toMatch(/hint:/);
    expect(mitm.log.filter((e) => e.type === 'request')).toHaveLength(0);
  });

  it('--expect-issuer fails when the issuer is someone else', async () => {
    const result = await probe(
      '--json',
      '--app-check',
      '--expect-issuer',
      'Corp Root',
      '--chain',
      chain,
      `https://localhost:${httpsOrigin.port}`,
    );
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout).results[0];
    expect(report.status).toBe('app-failed');
    expect(report.app.error.hint).toMatch(/intercepted/);
  });

  it('summarises several targets with their HTTP status and issuer', async () => {
    const mitm = await start(startHttpOrigin({ tls: certs.selfSigned }));
    const result = await probe(
      '--app-check',
      '--chain',
      chain,
      `https://localhost:${httpsOrigin.port}/`,
      `https://localhost:${mitm.port}/`,
    );
    expect(result.code).toBe(1);
    const lines = result.stdout.split('\n');
    expect(lines.find((l) => /^\s+target\s/.test(l))).toMatch(/target\s+result\s+ms\s+hop\s+http\s+issuer$/);
    expect(lines.find((l) => l.includes(`localhost:${httpsOrigin.port}`))).toMatch(
      /reachable\s+[\d.]+\s+200\s+\S*CN=/,
    );
    // No HEAD over an untrusted certificate: no status, but the issuer is shown.
    expect(lines.find((l) => l.includes(`localhost:${mitm.port} `))).toMatch(
      /app check failed\s+[\d.]+\s+CN=/,
    );
    expect(result.stdout).toMatch(
      /localhost:\d+:\n\s+error: APP_CHECK_FAILED: the certificate of localhost is not trusted/,
    );
  });

  it('checks plain http targets with HEAD', async () => {
    const result = await probe('--json', '--app-check', '--chain', chain, `http://127.0.0.1:${origin.port}/`);
    expect(JSON.parse(result.stdout).results[0].app).toMatchObject({
      scheme: 'http',
      status: 200,
      tls: null,
    });
    expect(origin.log.some((e) => e.type === 'request' && e.method === 'HEAD')).toBe(true);
  });
});

describe('usage errors: exit 64 with a clear line', () => {
  it.each([
    [['probe', '127.0.0.1:80'], /no chain configured: give --chain URLS/],
    [['probe', '--chain', 'socks5://127.0.0.1:1'], /give at least one TARGET/],
    [
      ['probe', '--chain', 'socks5://127.0.0.1:1', 'example'],
      /target "example" has no port: write host:port, or give --ports/,
    ],
    [['probe', '--chain', 'socks5://127.0.0.1:1', '--ports', '80,x', 'h'], /--ports: "x" is not a port/],
    [['probe', '--chain', 'ftp://127.0.0.1:1', '127.0.0.1:1'], /unsupported scheme "ftp:"/],
    [['probe', '--bogus'], /Unknown option '--bogus'/],
    [
      ['probe', '--chain', 'socks5://127.0.0.1:1', '--concurrency', '0', '127.0.0.1:1'],
      /--concurrency must be a whole number/,
    ],
    [
      ['probe', '--chain', 'socks5://127.0.0.1:1', '--ca', '/nonexistent.pem', '127.0.0.1:1'],
      /cannot read --ca \/nonexistent\.pem: ENOENT/,
    ],
    [
      ['probe', '--chain', 'socks5://127.0.0.1:1', '--timeout', 'soon', '127.0.0.1:1'],
      /--timeout must be a positive duration/,
    ],
  ])('%j', async (args, message) => {
    const result = await runCli(args);
    expect(result.code).toBe(64);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/Run 'sockschain probe --help' for usage\./);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('--help prints the usage with the exit codes, exit 0', async () => {
    const result = await runCli(['probe', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: sockschain probe/);
    expect(result.stdout).toMatch(/Exit status: 0 every target reachable; 1 .*2 a hop failed/s);
  });

  it('takes the chain from PROXY_CHAIN when no --chain is given', async () => {
    const result = await runCli(['probe', '--json', `127.0.0.1:${origin.port}`], {
      env: cleanEnv({ PROXY_CHAIN: hopUrl('socks5', socks, creds) }),
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).chain).toEqual([`socks5://alice:***@127.0.0.1:${socks.port}`]);
    expectNoSecretIn(result, SECRET);
  });
});

describe('--pac: the header names what the PAC file chose for the target', () => {
  it('one target: its routes in the order they are tried, not "through 0 hops"', async () => {
    const open = await start(startHttpProxy());
    const dead = await closedPort();
    const pac = join(mkdtempSync(join(tmpdir(), 'probe-pac-')), 'proxy.pac');
    writeFileSync(
      pac,
      `function FindProxyForURL(url, host) { return "PROXY 127.0.0.1:${dead}; PROXY 127.0.0.1:${open.port}; DIRECT"; }\n`,
    );
    const result = await probe('--pac', pac, `127.0.0.1:${origin.port}`);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe(
      `probe 127.0.0.1:${origin.port} through the PAC file's routes: http://127.0.0.1:${dead}; http://127.0.0.1:${open.port}; DIRECT`,
    );
    const json = await probe('--json', '--pac', pac, `127.0.0.1:${origin.port}`);
    expect(JSON.parse(json.stdout).results[0].pacRoutes).toEqual([
      [`http://127.0.0.1:${dead}`],
      [`http://127.0.0.1:${open.port}`],
      'direct',
    ]);
    const many = await probe('--pac', pac, `127.0.0.1:${origin.port}`, `127.0.0.1:${httpsOrigin.port}`);
    expect(many.stdout.split('\n')[0]).toBe('probe 2 targets through the routes of a PAC file');
  });
});
