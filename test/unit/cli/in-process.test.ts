/**
 * The commands called in-process with fake streams: what a subprocess cannot show (a TTY,
 * NO_COLOR) and what it would hide (sockets or timers left behind once a command returns).
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as fetchRun } from '../../../src/cli/fetch/fetch.js';
import { run as probeRun } from '../../../src/cli/probe/probe.js';
import {
  certs,
  type Fixture,
  startHttpOrigin,
  startHttpProxy,
  startSocksServer,
} from '../../fixtures/index.js';
import { eventually, hopUrl, openTcpHandles, SECRET, USER } from '../../helpers.js';
import { expectNoSecretIn, ROOT } from './run-cli.js';

const CA = `${ROOT}test/fixtures/certs/ca.crt`;
const fixtures: Fixture[] = [];
let origin: Fixture;
let httpsOrigin: Fixture;
let chain: string;
let socksPort: number;

beforeAll(async () => {
  const auth = { username: USER, password: SECRET };
  const [http, socks, o, tlsOrigin] = await Promise.all([
    startHttpProxy({ auth }),
    startSocksServer({ auth }),
    startHttpOrigin(),
    startHttpOrigin({ tls: certs.localhost }),
  ]);
  origin = o;
  httpsOrigin = tlsOrigin;
  socksPort = socks.port;
  fixtures.push(http, socks, origin, httpsOrigin);
  chain = `${hopUrl('http', http, { user: USER, pass: SECRET })},${hopUrl('socks5', socks, { user: USER, pass: SECRET })}`;
});

afterAll(async () => {
  await Promise.all(fixtures.map((f) => f.close()));
});

function fakeIo(tty: boolean, env: NodeJS.ProcessEnv = {}) {
  const stdout = Object.assign(new PassThrough(), { isTTY: tty });
  const stderr = Object.assign(new PassThrough(), { isTTY: tty });
  const text = { stdout: '', stderr: '' };
  stdout.on('data', (c: Buffer) => {
    text.stdout += c.toString();
  });
  stderr.on('data', (c: Buffer) => {
    text.stderr += c.toString();
  });
  return { io: { stdout, stderr, env }, text };
}

describe('colors', () => {
  it('colors the table on a terminal', async () => {
    const { io, text } = fakeIo(true);
    expect(await probeRun(['--chain', chain, `127.0.0.1:${origin.port}`], io)).toBe(0);
    expect(text.stdout).toContain('\x1b[32mok\x1b[39m');
    expect(text.stdout).toContain('\x1b[32mreachable\x1b[39m');
    // Colors do not shift the columns: the results line up under their header.
    const plain = text.stdout.replace(/\x1b\[\d+m/g, '').split('\n');
    const column = plain.find((l) => /^\s+#\s+protocol/.test(l))?.indexOf('result');
    const rows = plain.filter((l) => /^\s+[12]\s/.test(l));
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row.lastIndexOf('ok')).toBe(column);
    expect(plain.find((l) => /^\s+→/.test(l))?.indexOf('reachable')).toBe(column);
    expectNoSecretIn(text, SECRET);
  });

  it('never with NO_COLOR, nor when not a terminal', async () => {
    for (const { tty, env } of [
      { tty: true, env: { NO_COLOR: '1' } },
      { tty: false, env: {} },
    ]) {
      const { io, text } = fakeIo(tty, env);
      await probeRun(['--chain', chain, `127.0.0.1:${origin.port}`, '127.0.0.1:1'], io);
      expect(text.stdout).not.toMatch(/\x1b\[/);
      expect(text.stdout).toMatch(/reachable/);
    }
  });
});

describe('nothing left behind', () => {
  it('probe (with --app-check) and fetch close every socket they opened', async () => {
    const before = openTcpHandles();
    for (let i = 0; i < 3; i++) {
      const a = fakeIo(false);
      await probeRun(
        [
          '--ca',
          CA,
          '--app-check',
          '--chain',
          chain,
          `https://localhost:${httpsOrigin.port}/`,
          '127.0.0.1:1',
        ],
        a.io,
      );
      expect(a.text.stdout).toMatch(/reachable/);
      const b = fakeIo(false);
      expect(
        await fetchRun(['--ca', CA, '--chain', chain, `https://localhost:${httpsOrigin.port}/x`], b.io),
      ).toBe(0);
      expect(b.text.stdout).toMatch(/"url":"\/x"/);
    }
    await eventually(() => openTcpHandles() <= before, 3000);
  });
});

describe('a chain that cannot work as written', () => {
  it('a host name behind plain socks4:// is a configuration error: exit 64, status invalid', async () => {
    const { io, text } = fakeIo(false);
    const code = await probeRun(
      ['--json', '--chain', `socks4://127.0.0.1:${socksPort}`, `localhost:${origin.port}`],
      io,
    );
    expect(code).toBe(64);
    const report = JSON.parse(text.stdout).results[0];
    expect(report).toMatchObject({ status: 'invalid', exitCode: 64, error: { code: 'INVALID_CONFIG' } });
    expect(report.error.message).toMatch(/use socks4a:\/\//);
  });
});

describe('routing', () => {
  it('a target NO_PROXY exempts is reported as direct, every hop unused', async () => {
    const { io, text } = fakeIo(false, { PROXY_CHAIN: chain, NO_PROXY: '127.0.0.1' });
    expect(await probeRun(['--json', `127.0.0.1:${origin.port}`], io)).toBe(0);
    const report = JSON.parse(text.stdout).results[0];
    expect(report).toMatchObject({ status: 'reachable', direct: true });
    expect(report.hops.map((h: { result: string }) => h.result)).toEqual(['not-used', 'not-used']);
    const table = fakeIo(false, { PROXY_CHAIN: chain, NO_PROXY: '127.0.0.1' });
    await probeRun([`127.0.0.1:${origin.port}`], table.io);
    expect(table.text.stdout).toMatch(/→\s+target\s+127\.0\.0\.1:\d+\s+direct\s+reachable$/m);
    expect(table.text.stdout).toMatch(/direct: NO_PROXY .* sends 127\.0\.0\.1:\d+ around the chain/);
  });
});
