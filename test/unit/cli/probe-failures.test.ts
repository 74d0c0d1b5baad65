/** `sockschain probe` when something fails: each kind of failing hop, unreachable targets, the port matrix. */
import { beforeAll, describe, expect, it } from 'vitest';
import { certs, closedPort, type Fixture, startHostileServer, startHttpProxy } from '../../fixtures/index.js';
import { carries, startInspectingRelay } from '../../fixtures/inspecting-relay.js';
import { hopUrl, SECRET, USER } from '../../helpers.js';
import { startEgressCutProxy } from './probe/egress-cut-proxy.js';
import { creds, probe, useProbeFixtures } from './probe-setup.js';
import { expectNoSecretIn } from './run-cli.js';

let http: Fixture;
let socks: Fixture;
let origin: Fixture;
let chain: string;
const fixtures = useProbeFixtures();
const start = <T extends Fixture>(fixture: Promise<T>) => fixtures.start(fixture);
beforeAll(() => {
  ({ http, socks, origin, chain } = fixtures);
});

/** A firewall in front of `proxy` that drops the requests carrying `text`, and only those. */
function silentFor(proxy: Fixture, text: string) {
  return startInspectingRelay({ upstream: proxy, match: carries(text), action: 'drop' });
}

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
      // Hop 1 answers other requests (the diagnosis's canary) but never this one: the link
      // from hop 1 to hop 2 is what is filtered.
      name: 'filtered: hop 2 never answers through hop 1',
      hops: async () => [
        hopUrl('http', await start(silentFor(http, `CONNECT 127.0.0.1:${socks.port} `)), creds),
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
    // The diagnosis's remedy takes the place of the hint line (docs/cli.md, Diagnosis).
    expect(text.stdout).toMatch(new RegExp(`remedy: .*${hint.source}`));
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
    expect(result.stdout).toMatch(/remedy: .*the last hop/);
    expect(result.stdout).toMatch(/^ {2}cause: target-refused$/m);
  });

  it('filtered at the target: the last hop never reports back (HOP_TIMEOUT at the target)', async () => {
    // The last hop answers the diagnosis's canary, so it is the target that stays silent.
    const silentFor81 = await start(silentFor(http, 'CONNECT 127.0.0.1:81 '));
    const result = await probe(
      '--json',
      '--timeout',
      '500',
      '--chain',
      `${hopUrl('http', http, creds)},${hopUrl('http', silentFor81, creds)}`,
      '127.0.0.1:81',
    );
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout).results[0];
    expect(report).toMatchObject({
      status: 'unreachable',
      error: { code: 'HOP_TIMEOUT', hopIndex: 1, target: '127.0.0.1:81' },
    });
    expect(report.error.hint).toMatch(/target's port is probably filtered/);
    expect(report.diagnosis).toMatchObject({ cause: 'target-filtered', link: { from: 1, to: null } });
  });

  it('filtered at the target behind a hop whose every onward connection is dropped: still the target', async () => {
    // The canary asks for port 0, which the hop refuses by itself: it needs no onward
    // connection, so a cut egress does not make the hop look blocked (protocol-blocked).
    const proxy = await startEgressCutProxy();
    try {
      const result = await probe(
        '--json',
        '--timeout',
        '500',
        '--chain',
        `http://127.0.0.1:${proxy.port}`,
        '127.0.0.1:81',
      );
      expect(result.code).toBe(1);
      const report = JSON.parse(result.stdout).results[0];
      expect(report.diagnosis).toMatchObject({ cause: 'target-filtered', link: { from: 0, to: null } });
      expect(JSON.stringify(report.diagnosis.evidence)).toContain('CONNECT 127.0.0.1:0: HTTP 400');
    } finally {
      await proxy.close();
    }
  });

  it('a last hop that answers nothing at all is blamed, not the target (the canary is silent too)', async () => {
    const silent = await start(startHostileServer('silent'));
    const result = await probe(
      '--json',
      '--timeout',
      '500',
      '--chain',
      `http://127.0.0.1:${silent.port}`,
      '127.0.0.1:81',
    );
    expect(result.code).toBe(2);
    const report = JSON.parse(result.stdout).results[0];
    expect(report).toMatchObject({ status: 'hop-failed', error: { code: 'HOP_TIMEOUT', hopIndex: 0 } });
    expect(report.diagnosis).toMatchObject({ cause: 'protocol-blocked', link: { from: null, to: 0 } });
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
