/**
 * probe's diagnosis (issue 12): when a tunnel fails, the link, the cause, the evidence of
 * the follow-up probes and the remedy, in --json (schema 2) and under the hop table, within
 * twice --timeout. Firewalls that inspect payloads are imitated by a relay in front of the
 * fixture proxies (test/fixtures/inspecting-relay.ts); test/firewall does it with netfilter.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { closedPort, type Fixture, startHttpProxy, startSocksServer } from '../../fixtures/index.js';
import { carries, firstByte, startInspectingRelay } from '../../fixtures/inspecting-relay.js';
import { hopUrl, SECRET, USER } from '../../helpers.js';
import { creds, probe, useProbeFixtures } from './probe-setup.js';
import { expectNoSecretIn } from './run-cli.js';

const fixtures = useProbeFixtures();
let origin: Fixture;
let target: string;
beforeAll(() => {
  origin = fixtures.origin;
  target = `127.0.0.1:${origin.port}`;
});

const TIMEOUT = 800;

async function diagnosisOf(hops: string[], to = target) {
  const began = performance.now();
  const result = await probe('--json', '--timeout', String(TIMEOUT), '--chain', hops.join(','), to);
  const elapsed = performance.now() - began;
  expectNoSecretIn(result, SECRET);
  const json = JSON.parse(result.stdout);
  expect(json.schema).toBe(2);
  const [report] = json.results;
  return { result, report, diagnosis: report.diagnosis, elapsed };
}

async function behind(
  fixture: Promise<Fixture>,
  match: (chunk: Buffer) => boolean,
  action: 'drop' | 'reset',
) {
  const proxy = await fixtures.start(fixture);
  return fixtures.start(startInspectingRelay({ upstream: proxy, match, action }));
}

const auth = { username: USER, password: SECRET };

describe('diagnosis in --json', () => {
  it('reachable: diagnosis is null, exit 0', async () => {
    const { result, diagnosis } = await diagnosisOf([hopUrl('http', fixtures.http, creds)]);
    expect(result.code).toBe(0);
    expect(diagnosis).toBeNull();
  });

  it.each(['drop', 'reset'] as const)(
    'Proxy-Authorization %s: credentials-blocked at this machine → hop 1, proven by a 407 without them',
    async (action) => {
      const relay = await behind(startHttpProxy({ auth }), carries('Proxy-Authorization'), action);
      const { result, report, diagnosis, elapsed } = await diagnosisOf([hopUrl('http', relay, creds)]);
      expect(result.code).toBe(2);
      expect(report.status).toBe('hop-failed');
      expect(diagnosis).toMatchObject({
        link: { from: null, to: 0, label: 'this machine → hop 1' },
        cause: 'credentials-blocked',
      });
      expect(diagnosis.evidence[0].step).toBe(`tunnel to ${target}`);
      expect(diagnosis.evidence).toContainEqual(
        expect.objectContaining({
          step: expect.stringMatching(/without credentials/),
          result: 'answered: HTTP 407',
        }),
      );
      expect(diagnosis.remedy).toMatch(/let it through|over TLS/);
      expect(report.error.hint).toBe(diagnosis.remedy);
      expect(elapsed).toBeLessThan(2 * TIMEOUT + 1500);
    },
  );

  it('RFC 1929 message dropped on the link hop 1 → hop 2: credentials-blocked, the greeting alone answered', async () => {
    const relay = await behind(startSocksServer({ versions: [5], auth }), firstByte(0x01), 'drop');
    const { result, diagnosis } = await diagnosisOf([
      hopUrl('http', fixtures.http, creds),
      hopUrl('socks5', relay, creds),
    ]);
    expect(result.code).toBe(2);
    expect(diagnosis).toMatchObject({
      link: { from: 0, to: 1, label: 'hop 1 → hop 2' },
      cause: 'credentials-blocked',
    });
    expect(diagnosis.evidence).toContainEqual(
      expect.objectContaining({
        step: 'SOCKS5 greeting alone to hop 2',
        result: 'answered: SOCKS5 method 0x02',
      }),
    );
  });

  it.each(['drop', 'reset'] as const)(
    'CONNECT requests %s (DPI): protocol-blocked, the canary unanswered too',
    async (action) => {
      const relay = await behind(startHttpProxy(), carries('CONNECT '), action);
      const { result, diagnosis } = await diagnosisOf([hopUrl('http', relay)]);
      expect(result.code).toBe(2);
      expect(diagnosis).toMatchObject({ link: { from: null, to: 0 }, cause: 'protocol-blocked' });
      expect(diagnosis.remedy).toMatch(/https:\/\/ hop/);
    },
  );

  it.each(['drop', 'reset'] as const)('SOCKS5 messages %s: protocol-blocked', async (action) => {
    const relay = await behind(startSocksServer({ versions: [5] }), firstByte(0x05), action);
    const { result, diagnosis } = await diagnosisOf([hopUrl('socks5', relay)]);
    expect(result.code).toBe(2);
    expect(diagnosis).toMatchObject({ link: { from: null, to: 0 }, cause: 'protocol-blocked' });
  });

  it.each(['drop', 'reset'] as const)(
    'TLS ClientHello %s in front of an https hop: tls-blocked',
    async (action) => {
      const relay = await behind(Promise.resolve(fixtures.https), firstByte(0x16), action);
      const { result, diagnosis } = await diagnosisOf([
        hopUrl('https', { host: 'localhost', port: relay.port }),
      ]);
      expect(result.code).toBe(2);
      expect(diagnosis).toMatchObject({ link: { from: null, to: 0 }, cause: 'tls-blocked' });
    },
  );

  it('wrong password: credentials-rejected, no follow-up needed', async () => {
    const { result, diagnosis } = await diagnosisOf([
      hopUrl('socks5', fixtures.socks, { user: USER, pass: 'nope' }),
    ]);
    expect(result.code).toBe(2);
    expect(diagnosis).toMatchObject({ cause: 'credentials-rejected', link: { from: null, to: 0 } });
    expect(diagnosis.evidence).toHaveLength(1);
  });

  it('a closed target port: target-refused on hop 1 → target, exit 1', async () => {
    const { result, diagnosis } = await diagnosisOf(
      [hopUrl('socks5', fixtures.socks, creds)],
      `127.0.0.1:${await closedPort()}`,
    );
    expect(result.code).toBe(1);
    expect(diagnosis).toMatchObject({
      cause: 'target-refused',
      link: { from: 0, to: null, label: 'hop 1 → target' },
    });
  });

  it('a closed hop port: refused at this machine → hop 1', async () => {
    const { result, diagnosis } = await diagnosisOf([`http://127.0.0.1:${await closedPort()}`]);
    expect(result.code).toBe(2);
    expect(diagnosis).toMatchObject({ cause: 'refused', link: { from: null, to: 0 } });
    expect(diagnosis.evidence[0].result).toMatch(/ECONNREFUSED/);
  });
});

describe('TLS interception', () => {
  it('--app-check --expect-issuer with another issuer: tls-intercepted on hop 1 → target, exit 1', async () => {
    const https = `https://localhost:${fixtures.httpsOrigin.port}/`;
    const result = await probe(
      '--json',
      '--app-check',
      '--expect-issuer',
      'Some Other CA',
      '--chain',
      hopUrl('socks5', fixtures.socks, creds),
      https,
    );
    expect(result.code).toBe(1);
    const [report] = JSON.parse(result.stdout).results;
    expect(report.app.error.kind).toBe('unexpected-issuer');
    expect(report.diagnosis).toMatchObject({
      cause: 'tls-intercepted',
      link: { from: 0, to: null, label: 'hop 1 → target' },
    });
  });
});

describe('diagnosis in the text output', () => {
  it('link, cause, evidence and remedy lines under the hop table', async () => {
    const relay = await behind(startHttpProxy({ auth }), carries('Proxy-Authorization'), 'drop');
    const result = await probe('--timeout', String(TIMEOUT), '--chain', hopUrl('http', relay, creds), target);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/^ {2}link: this machine → hop 1$/m);
    expect(result.stdout).toMatch(/^ {2}cause: credentials-blocked$/m);
    expect(result.stdout).toMatch(
      /^ {2}evidence: the same CONNECT to hop 1 without credentials → answered: HTTP 407 \(\d/m,
    );
    expect(result.stdout).toMatch(/^ {2}remedy: /m);
    expectNoSecretIn(result, SECRET);
  });
});
