/**
 * A PAC file that picks different routes for localhost, 127.0.0.1 and 127.0.0.2 routes them
 * as written, read back from squid's own access.log: a whole CHAIN (dante, then our squid)
 * for localhost, a dead proxy failing over to our squid for 127.0.0.1, dante alone (SOCKS5)
 * for 127.0.0.2. Through Chain.fromPac, and through the CLI's --pac and PROXY_PAC.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchBehindCorporateProxy } from '../../docs/recipes/corporate-proxy.js';
import { Chain } from '../../src/index.js';
import { cleanEnv, ensureBuilt, runCli } from '../unit/cli/run-cli.js';
import { AUTH_SQUID_BASE, type AuthSquid, authSquidMissing, startAuthSquid } from './auth-squid.js';
import { bannerExchange } from './exchange.js';
import { chainOptions, server } from './servers.js';
import { isCi, type Testbed } from './testbed.js';
import { useTestbed } from './use-testbed.js';

const testbed = useTestbed();
const missing = authSquidMissing();
if (testbed && missing) {
  if (isCi()) it('can start its own squid (required under CI=true)', () => expect.fail(missing));
  else it.skip(`needs its own squid: ${missing}`, () => {});
}

async function logged(squid: AuthSquid, needle: string, atLeast = 1): Promise<number> {
  for (let i = 0; ; i++) {
    const count = squid.log().filter((line) => line.includes(needle)).length;
    if (count >= atLeast || i >= 30) return count;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.runIf(testbed && !missing)('PAC routing, checked in squid access.log', () => {
  const bed = testbed as Testbed;
  let squid: AuthSquid;
  let other: net.Server;
  let otherPort: number;
  let dir: string;
  let pacFile: string;

  beforeAll(async () => {
    squid = await startAuthSquid(AUTH_SQUID_BASE.pac);
    // A server on 127.0.0.2 (still loopback) for the third host of the PAC file.
    other = net.createServer((socket) => socket.pipe(socket));
    await new Promise<void>((r) => other.listen(0, '127.0.0.2', r));
    otherPort = (other.address() as net.AddressInfo).port;
    const dante = server(bed, 'dante-open');
    const dead = bed.closedTarget;
    dir = mkdtempSync(join(tmpdir(), 'sockschain-pac-'));
    pacFile = join(dir, 'proxy.pac');
    writeFileSync(
      pacFile,
      `function FindProxyForURL(url, host) {
  if (host == "localhost") return "CHAIN socks5://${dante.host}:${dante.port} http://127.0.0.1:${squid.open}";
  if (host == "127.0.0.1") return "PROXY ${dead.host}:${dead.port}; PROXY 127.0.0.1:${squid.open}; DIRECT";
  if (isInNet(host, "127.0.0.2", "255.255.255.255")) return "SOCKS5 ${dante.host}:${dante.port}";
  return "DIRECT";
}
`,
    );
    await ensureBuilt();
  });
  afterAll(async () => {
    await squid?.stop();
    other?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('routes each host as written', async () => {
    const chain = Chain.fromPac(pacFile, chainOptions(bed));
    try {
      const { port } = bed.origins.banner;
      await bannerExchange(await chain.connect({ host: 'localhost', port }), bed);
      await bannerExchange(await chain.connect({ host: '127.0.0.1', port }), bed);
      const socket = await chain.connect({ host: '127.0.0.2', port: otherPort });
      const echoed = new Promise<string>((r) => socket.once('data', (d: Buffer) => r(d.toString())));
      socket.write('via dante');
      expect(await echoed).toBe('via dante');
      socket.destroy();
    } finally {
      await chain.close();
    }
    const { port } = bed.origins.banner;
    // localhost: the CHAIN entry's last hop is our squid, asked for the name.
    expect(await logged(squid, `CONNECT localhost:${port} `)).toBe(1);
    // 127.0.0.1: the dead proxy first, then our squid.
    expect(await logged(squid, `CONNECT 127.0.0.1:${port} `)).toBe(1);
    // 127.0.0.2: dante alone; our squid never saw it.
    expect(squid.log().some((line) => line.includes('127.0.0.2'))).toBe(false);
  });

  it('the CLI: fetch --pac FILE and PROXY_PAC route through the PAC file', async () => {
    const url = bed.origins.http.url.replace('127.0.0.1', 'localhost');
    const withFlag = await runCli(['fetch', '--pac', pacFile, url]);
    expect(withFlag.code, withFlag.stderr).toBe(0);
    const viaEnv = await runCli(['fetch', url], { env: cleanEnv({ PROXY_PAC: pacFile }) });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect(await logged(squid, `localhost:${bed.origins.http.port}`, 2)).toBe(2);
  });

  it('the CLI: run --pac and probe --pac route through the PAC file', async () => {
    const url = bed.origins.http.url.replace('127.0.0.1', 'localhost');
    const before = squid.log().filter((line) => line.includes(`localhost:${bed.origins.http.port}`)).length;
    // curl under run: its proxy is serve's listener, whose upstream is the PAC file's CHAIN entry.
    const run = await runCli([
      'run',
      '--pac',
      pacFile,
      '--no-check',
      '--',
      'curl',
      '-sS',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      url,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('200');
    const probe = await runCli(['probe', '--pac', pacFile, '--json', `localhost:${bed.origins.http.port}`]);
    expect(probe.code, probe.stderr).toBe(0);
    expect(await logged(squid, `localhost:${bed.origins.http.port}`, before + 2)).toBe(before + 2);
  });

  it('the CLI: check --pac FILE --target checks each proxy the PAC file names for that target', async () => {
    const { port } = bed.origins.banner;
    const result = await runCli(['check', '--pac', pacFile, '--target', `127.0.0.1:${port}`, '--json']);
    const report = JSON.parse(result.stdout) as { results: Array<{ url: string; status: string }> };
    const status = Object.fromEntries(report.results.map((r) => [r.url, r.status]));
    expect(status).toEqual({
      [`http://${bed.closedTarget.host}:${bed.closedTarget.port}`]: expect.not.stringMatching(/^ok$/),
      [`http://127.0.0.1:${squid.open}`]: 'ok',
    });
    expect(result.code).toBe(1);
  });

  it('the "behind a corporate proxy" recipe: PAC picks an NTLM proxy, the hook gives the account', async () => {
    const corporate = join(dir, 'corporate.pac');
    writeFileSync(
      corporate,
      `function FindProxyForURL(url, host) { return "PROXY 127.0.0.1:${squid.ntlm}"; }`,
    );
    const body = await fetchBehindCorporateProxy(corporate, bed.origins.http.url, {
      user: 'recipe',
      password: 'Corp-Passw0rd',
      domain: 'CORP',
    });
    expect(JSON.parse(body)).toMatchObject({ method: 'GET' });
    expect(await logged(squid, 'CORP\\\\recipe')).toBe(1);
  });
});
