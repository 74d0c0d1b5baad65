/** `sockschain probe`, run as a subprocess from dist/ against in-process fixtures on 127.0.0.1. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  certs,
  closedPort,
  type Fixture,
  startHostileServer,
  startHttpOrigin,
  startHttpProxy,
  startSocksServer,
} from '../fixtures/index.js';
import { hopUrl, SECRET, USER } from '../helpers.js';
import { cleanEnv, ensureBuilt, expectNoSecretIn, ROOT, runCli } from './run-cli.js';

const CA = `${ROOT}test/fixtures/certs/ca.crt`;
const fixtures: Fixture[] = [];
const creds = { user: USER, pass: SECRET };
let http: Fixture;
let socks: Fixture;
let https: Fixture;
let origin: Fixture;
let httpsOrigin: Fixture;
let chain: string;

beforeAll(async () => {
  const auth = { username: USER, password: SECRET };
  [http, socks, https, origin, httpsOrigin] = await Promise.all([
    startHttpProxy({ auth }),
    startSocksServer({ versions: [5], auth }),
    startHttpProxy({ tls: certs.localhost }),
    startHttpOrigin(),
    startHttpOrigin({ tls: certs.localhost }),
  ]);
  fixtures.push(http, socks, https, origin, httpsOrigin);
  chain = [hopUrl('http', http, creds), hopUrl('socks5', socks, creds), hopUrl('https', https)].join(',');
  await ensureBuilt();
}, 120_000);

afterAll(async () => {
  await Promise.all(fixtures.map((f) => f.close()));
});

async function start<T extends Fixture>(fixture: Promise<T>): Promise<T> {
  const f = await fixture;
  fixtures.push(f);
  return f;
}

function probe(...args: string[]) {
  return runCli(['probe', '--ca', CA, ...args]);
}

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

  it('--json follows schema 1 with the same facts', async () => {
    const result = await probe('--json', '--chain', chain, `127.0.0.1:${origin.port}`);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({ schema: 1, command: 'probe', exitCode: 0 });
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
    expect(result.stdout).toMatch(/hint: the target's certificate is not trusted .*DPI/);
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

describe('a failing hop of each kind: the code, the hop, a hint, exit 2, no password', () => {
  const cases: Array<{
    name: string;
    hops: () => Promise<string[]>;
    code: string;
    hop: number;
    hint: RegExp;
    args?: string[];
  }> = [
    {
      name: 'refused: nothing listens on the first hop',
      hops: async () => [`socks5://127.0.0.1:${await closedPort()}`],
      code: 'HOP_UNREACHABLE',
      hop: 1,
      hint: /nothing listens on hop 1's address and port, or a firewall between this machine and hop 1 rejects/,
    },
    {
      name: 'refused: hop 1 cannot reach hop 2',
      hops: async () => [hopUrl('http', http, creds), `socks5://127.0.0.1:${await closedPort()}`],
      code: 'HOP_UNREACHABLE',
      hop: 2,
      hint: /between hop 1 and hop 2 rejects/,
    },
    {
      name: 'filtered: hop 2 never answers through hop 1',
      hops: async () => [
        `http://127.0.0.1:${(await start(startHostileServer('silent'))).port}`,
        hopUrl('socks5', socks, creds),
      ],
      code: 'HOP_TIMEOUT',
      hop: 2,
      hint: /port of hop 2 is probably filtered by a firewall between hop 1 and hop 2/,
      args: ['--timeout', '600'],
    },
    {
      name: 'auth required',
      hops: async () => [`http://127.0.0.1:${http.port}`],
      code: 'AUTH_REQUIRED',
      hop: 1,
      hint: /hop 1 wants credentials/,
    },
    {
      name: 'auth failed (SOCKS5)',
      hops: async () => [
        hopUrl('http', http, creds),
        hopUrl('socks5', socks, { user: USER, pass: `${SECRET}x` }),
      ],
      code: 'AUTH_FAILED',
      hop: 2,
      hint: /hop 2 rejected the credentials/,
    },
    {
      name: 'auth failed (HTTP)',
      hops: async () => [hopUrl('http', http, { user: USER, pass: `${SECRET}x` })],
      code: 'AUTH_FAILED',
      hop: 1,
      hint: /hop 1 rejected the credentials/,
    },
    {
      name: 'denied by the proxy ruleset',
      hops: async () => [
        hopUrl('socks5', socks, creds),
        `http://127.0.0.1:${(await start(startHttpProxy({ deny: () => true }))).port}`,
      ],
      code: 'PROXY_DENIED',
      hop: 2,
      hint: /hop 2's rules \(ACL\) forbid/,
    },
    {
      name: 'TLS: the https hop has a certificate nobody trusts',
      hops: async () => [
        hopUrl('http', http, creds),
        `https://localhost:${(await start(startHttpProxy({ tls: certs.selfSigned }))).port}`,
      ],
      code: 'TLS_FAILED',
      hop: 2,
      hint: /certificate of hop 2 not trusted: an intercepting firewall \(DPI\) or a wrong CA; pass --ca/,
    },
    {
      name: 'wrong protocol: socks5:// pointed at an HTTP server',
      hops: async () => [`socks5://127.0.0.1:${origin.port}`],
      code: 'PROTOCOL_ERROR',
      hop: 1,
      hint: /hop 1 does not speak the protocol its URL says/,
    },
    {
      name: 'wrong protocol: https:// pointed at a plain HTTP server',
      hops: async () => [`https://${USER}:${encodeURIComponent(SECRET)}@127.0.0.1:${origin.port}`],
      code: 'PROTOCOL_ERROR',
      hop: 1,
      hint: /hop 1 does not speak TLS on that port: use http:\/\//,
    },
    {
      name: 'wrong protocol: http:// pointed at a SOCKS server',
      hops: async () => [hopUrl('http', socks, creds)],
      code: 'PROTOCOL_ERROR',
      hop: 1,
      hint: /hop 1 does not speak the protocol its URL says/,
    },
  ];

  it.each(cases)('$name', async ({ hops, code, hop, hint, args = [] }) => {
    const chainArg = (await hops()).join(',');
    const text = await probe(...args, '--chain', chainArg, `127.0.0.1:${origin.port}`);
    expect(text.code).toBe(2);
    const row = text.stdout.split('\n').find((l) => new RegExp(`^\\s+${hop}\\s`).test(l));
    expect(row).toMatch(new RegExp(`${code}$`));
    expect(text.stdout).toMatch(new RegExp(`error: ${code}: `));
    expect(text.stdout).toMatch(new RegExp(`hint: .*${hint.source}`));
    expect(text.stdout).toMatch(/→\s+target.*not reached$/m);
    expectNoSecretIn(text, SECRET);

    const json = await probe('--json', ...args, '--chain', chainArg, `127.0.0.1:${origin.port}`);
    expect(json.code).toBe(2);
    const report = JSON.parse(json.stdout).results[0];
    expect(report.status).toBe('hop-failed');
    expect(report.error).toMatchObject({ code, hopIndex: hop - 1 });
    expect(report.error.hint).toMatch(hint);
    expect(report.hops[hop - 1]).toMatchObject({ result: 'failed', code });
    for (const before of report.hops.slice(0, hop - 1)) expect(before.result).toBe('ok');
    expectNoSecretIn(json, SECRET);
  });
});

describe('a target that cannot be reached: exit 1', () => {
  it('refused at the target: every hop ok, the target row says why', async () => {
    const result = await probe('--chain', chain, `127.0.0.1:${await closedPort()}`);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^\s+3\s+https\s.*\sok$/m);
    expect(result.stdout).toMatch(/→\s+target.*TARGET_UNREACHABLE$/m);
    expect(result.stdout).toMatch(/hint: .*the last hop/);
  });

  it('filtered at the target: the last hop never reports back (HOP_TIMEOUT at the target)', async () => {
    const silent = await start(startHostileServer('silent'));
    const result = await probe(
      '--json',
      '--timeout',
      '500',
      '--chain',
      `${hopUrl('http', http, creds)},http://127.0.0.1:${silent.port}`,
      '127.0.0.1:81',
    );
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout).results[0];
    expect(report).toMatchObject({
      status: 'unreachable',
      error: { code: 'HOP_TIMEOUT', hopIndex: 1, target: '127.0.0.1:81' },
    });
    expect(report.error.hint).toMatch(/target's port is probably filtered/);
  });

  it('a hop failure outranks an unreachable target in the exit code', async () => {
    const result = await probe(
      '--json',
      '--chain',
      hopUrl('http', http, creds),
      `127.0.0.1:${await closedPort()}`,
      `127.0.0.1:${origin.port}`,
    );
    expect(result.code).toBe(1);
    const denied = await start(startHttpProxy({ deny: (_h, port) => port !== origin.port }));
    const mixed = await probe(
      '--json',
      '--chain',
      `http://127.0.0.1:${denied.port}`,
      `127.0.0.1:${origin.port}`,
      '127.0.0.1:1',
    );
    expect(JSON.parse(mixed.stdout).results.map((r: { status: string }) => r.status)).toEqual([
      'reachable',
      'hop-failed',
    ]);
    expect(mixed.code).toBe(2);
  });
});

describe('--ports: a port matrix', () => {
  it('prints hosts by ports with what each port does', async () => {
    const denied = await start(startHttpProxy({ deny: (_h, port) => port === 22 }));
    const closed = await closedPort();
    const result = await probe(
      '--chain',
      `http://127.0.0.1:${denied.port}`,
      '--ports',
      `22,${origin.port},${closed}`,
      '127.0.0.1',
      'localhost',
    );
    expect(result.code).toBe(2);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^probe 6 targets through 1 hop: http:\/\/127\.0\.0\.1:\d+$/);
    expect(lines.find((l) => /^\s+host\s/.test(l))).toMatch(
      new RegExp(`host\\s+22\\s+${origin.port}\\s+${closed}$`),
    );
    expect(lines.find((l) => /^\s+127\.0\.0\.1\s/.test(l))).toMatch(/denied\s+open\s+unreachable$/);
    expect(lines.find((l) => /^\s+localhost\s/.test(l))).toMatch(/denied\s+open\s+unreachable$/);
    expect(result.stdout).toMatch(/127\.0\.0\.1:22 and 1 more:\n\s+error: PROXY_DENIED/);
  });

  it('--concurrency 1 gives the same answers in order', async () => {
    const result = await probe(
      '--json',
      '--concurrency',
      '1',
      '--chain',
      chain,
      '--ports',
      `${origin.port},1`,
      '[::1]',
    );
    const json = JSON.parse(result.stdout);
    expect(json.results.map((r: { target: string }) => r.target)).toEqual([
      `[::1]:${origin.port}`,
      '[::1]:1',
    ]);
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
