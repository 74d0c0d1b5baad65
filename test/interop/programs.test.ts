/**
 * Programs that are not Node through the chain, as operators' scripts use them: curl, wget,
 * git (dumb HTTP, HTTPS and ssh), ssh, python3 urllib and a static Go binary, under `sockschain run`
 * or with `sockschain connect` as ssh's ProxyCommand. Every test asserts that the traffic went
 * through the chain: the FIRST hop is a squid of this suite's own, whose access.log must show
 * the tunnel to hop 2, on top of the program's output.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type OwnOrigin,
  type OwnSquid,
  type OwnSshd,
  startOwnOrigin,
  startOwnSquid,
  startOwnSshd,
} from './own-servers.js';
import { hopUrl, server } from './servers.js';
import { REPO } from './testbed.js';
import { useTestbed } from './use-testbed.js';

const testbed = useTestbed();
const CLI = join(REPO, 'bin/sockschain.js');
/** This suite's squid (the first hop); in the range of ports kept for these suites. */
const SQUID_PORT = 14110;
/** This suite's sshd: the test bed's key only runs nologin. */
const SSHD_PORT = 14122;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function exec(file: string, args: string[], env: NodeJS.ProcessEnv, timeout = 60_000): Promise<Result> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

describe.runIf(testbed)('programs through sockschain run / connect', () => {
  const bed = testbed as NonNullable<typeof testbed>;
  const dante = server(bed, 'dante-auth');
  let squid: OwnSquid;
  let origin: OwnOrigin;
  let sshd: OwnSshd;
  let home: string;
  let chain2: string;
  let chain3: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    squid = await startOwnSquid(SQUID_PORT);
    origin = await startOwnOrigin(bed);
    sshd = await startOwnSshd(SSHD_PORT);
    home = mkdtempSync(join(tmpdir(), 'sockschain-programs-'));
    chain2 = [squid.url, hopUrl(bed, dante)].join(',');
    chain3 = [squid.url, hopUrl(bed, dante), hopUrl(bed, server(bed, 'microsocks-auth'))].join(',');
    // Nothing of the caller's: no proxies of its own, no git or ssh configuration.
    env = { PATH: process.env.PATH, HOME: home, GIT_CONFIG_NOSYSTEM: '1', LANG: 'C' };
  }, 60_000);

  afterAll(async () => {
    await squid?.stop();
    await origin?.stop();
    await sshd?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  /** squid's tunnels to hop 2 so far: squid logs a CONNECT line when a tunnel ends. */
  const tunnels = () =>
    squid.lines().filter((line) => line.includes(`CONNECT ${dante.host}:${dante.port}`)).length;

  async function expectTunnels(before: number, atLeast: number): Promise<void> {
    const until = Date.now() + 5000;
    while (tunnels() - before < atLeast && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(tunnels() - before, 'tunnels in the first hop log').toBeGreaterThanOrEqual(atLeast);
  }

  const run = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
    exec(process.execPath, [CLI, 'run', '-c', chain2, ...args], { ...env, ...extraEnv });

  // `run` checks the chain first (one tunnel), then CMD's own tunnel: at least 2.
  it('curl, http:// target, through the HTTP listener (http_proxy)', async () => {
    const before = tunnels();
    const r = await run(['--verbose', '--', 'curl', '-sS', '--fail', `${origin.http.url}curl-http`]);
    // The connection log names the tunnel, never the per-run credential (48 hex digits).
    expect(r.stderr).toContain(`127.0.0.1:${origin.http.port}`);
    expect(r.stderr).not.toMatch(/[0-9a-f]{48}/);
    expect(JSON.parse(r.stdout)).toEqual({ origin: 'own-http', path: '/curl-http' });
    await expectTunnels(before, 2);
  });

  it('curl, https:// target, through the HTTP listener (https_proxy, CONNECT)', async () => {
    const before = tunnels();
    const url = `${origin.https.url}curl-https`;
    const r = await run(['--', 'curl', '-sS', '--fail', '--cacert', bed.ca, url]);
    expect(JSON.parse(r.stdout)).toEqual({ origin: 'own-https', path: '/curl-https' });
    await expectTunnels(before, 2);
  });

  it('curl through the SOCKS listener (all_proxy=socks5h://, names resolved by the chain)', async () => {
    const before = tunnels();
    const url = `${origin.https.url}curl-socks`;
    const r = await run([
      '--',
      'env',
      '-u',
      'http_proxy',
      '-u',
      'https_proxy',
      '-u',
      'HTTPS_PROXY',
      'curl',
      '-sS',
      '--fail',
      '--cacert',
      bed.ca,
      '-v',
      url,
    ]);
    expect(JSON.parse(r.stdout)).toEqual({ origin: 'own-https', path: '/curl-socks' });
    expect(r.stderr).toMatch(/SOCKS5/i);
    // (curl -v shows its proxy URL, credential included: that is CMD's own output.)
    await expectTunnels(before, 2);
  });

  it('a 2-hop chain of the test bed alone: its squid (last hop) logs the tunnel to the target', async () => {
    const bedChain = [hopUrl(bed, dante), hopUrl(bed, server(bed, 'squid-basic'))].join(',');
    const log = join(bed.stateDir, 'squid/access.log');
    // The origin's port is this suite's own: no other test's line can match it.
    const line = `CONNECT 127.0.0.1:${origin.http.port} alice`;
    const seen = () =>
      readFileSync(log, 'utf8')
        .split('\n')
        .filter((l) => l.includes(line)).length;
    const before = seen();
    const r = await exec(
      process.execPath,
      [CLI, 'run', '-c', bedChain, '--', 'curl', '-sS', '--fail', `${origin.http.url}bed`],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ origin: 'own-http', path: '/bed' });
    const until = Date.now() + 5000;
    while (seen() === before && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(seen() - before).toBe(1);
  });

  it('wget (http_proxy with the credential in the URL)', async () => {
    const before = tunnels();
    const r = await run(['--', 'wget', '-q', '-O', '-', `${origin.http.url}wget`]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ origin: 'own-http', path: '/wget' });
    await expectTunnels(before, 2);
  });

  it('python3 urllib (reads http_proxy)', async () => {
    const before = tunnels();
    const code = `import urllib.request; print(urllib.request.urlopen('${origin.http.url}python').read().decode())`;
    const r = await run(['--', 'python3', '-c', code]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ origin: 'own-http', path: '/python' });
    await expectTunnels(before, 2);
  });

  it('git clone over dumb HTTP (git reads http_proxy through libcurl)', async () => {
    const before = tunnels();
    const dest = join(home, 'clone-http');
    const r = await run(['--', 'git', 'clone', '-q', `${origin.http.url}repo.git`, dest]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dest, 'README'), 'utf8')).toBe('cloned through the chain\n');
    expect(origin.paths).toContain('/repo.git/info/refs');
    await expectTunnels(before, 2);
  });

  it('git clone over HTTPS (CONNECT through https_proxy, the CA from GIT_SSL_CAINFO)', async () => {
    const before = tunnels();
    const dest = join(home, 'clone-https');
    const r = await run(['--', 'git', 'clone', '-q', `${origin.https.url}repo.git`, dest], {
      GIT_SSL_CAINFO: bed.ca,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dest, 'README'), 'utf8')).toBe('cloned through the chain\n');
    await expectTunnels(before, 2);
  });

  it('a static Go binary (no libc connect() to intercept) fetches through run', async () => {
    const dir = join(home, 'go');
    const gocache = join(tmpdir(), 'sockschain-test-gocache');
    execFileSync('mkdir', ['-p', dir]);
    writeFileSync(join(dir, 'main.go'), GO_PROGRAM);
    const goEnv = {
      ...env,
      CGO_ENABLED: '0',
      GOCACHE: gocache,
      GOPATH: join(dir, 'gopath'),
      GOPROXY: 'off',
      GOTOOLCHAIN: 'local',
      GOFLAGS: '',
      GO111MODULE: 'off',
    };
    const build = await exec('go', ['build', '-o', join(dir, 'fetch'), join(dir, 'main.go')], goEnv, 240_000);
    expect(build.code, build.stderr).toBe(0);
    const ldd = await exec('ldd', [join(dir, 'fetch')], env);
    expect(`${ldd.stdout}${ldd.stderr}`).toMatch(/not a dynamic executable/);
    const before = tunnels();
    const r = await run(['--', join(dir, 'fetch'), `${origin.http.url}go`]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ origin: 'own-http', path: '/go' });
    await expectTunnels(before, 2);
  }, 300_000);

  it('a wrong password at hop 2: run exits 2 before CMD starts, with the probe-style message', async () => {
    const marker = join(home, 'started');
    const wrong = [squid.url, hopUrl(bed, dante, 'wrong')].join(',');
    const r = await exec(process.execPath, [CLI, 'run', '-c', wrong, '--', 'touch', marker], env);
    expect(r.code).toBe(2);
    expect(existsSync(marker)).toBe(false);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('touch was not started');
    expect(r.stderr).toMatch(/error: AUTH_FAILED: hop 2 .*\nhint: hop 2 rejected the credentials/);
    expect(r.stderr).not.toContain(bed.credentials.wrongPassword);

    // --no-check: CMD runs and meets the failure itself (the HTTP listener answers 502).
    const url = `${origin.http.url}no-check`;
    const sh = `touch ${marker}; exec curl -sS --fail ${url}`;
    const n = await exec(
      process.execPath,
      [CLI, 'run', '--no-check', '-c', wrong, '--', 'sh', '-c', sh],
      env,
    );
    expect(existsSync(marker)).toBe(true);
    expect(n.code).toBe(22);
    expect(n.stderr).toMatch(/curl: \(22\).*502/);
    expect(origin.paths).not.toContain('/no-check');
  });

  it("CMD's exit status and signal pass through", async () => {
    expect((await run(['--', 'sh', '-c', 'exit 7'])).code).toBe(7);
    expect((await run(['--', 'sh', '-c', 'kill -TERM $$'])).code).toBe(128 + 15);
    expect((await run(['--', 'no-such-command-sockschain'])).code).toBe(127);
  });

  const sshArgs = (chain: string) => [
    ...sshd.clientArgs,
    '-o',
    `ProxyCommand=${process.execPath} ${CLI} connect -c ${chain} %h:%p`,
  ];

  it('ssh with ProxyCommand=sockschain connect runs a command through a 3-hop chain', async () => {
    const before = tunnels();
    const { host, port } = sshd;
    const r = await exec(
      'ssh',
      [...sshArgs(chain3), '-p', String(port), `root@${host}`, 'echo through-$((6*7))'],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('through-42\n');
    await expectTunnels(before, 1);
  });

  it("ssh through a 3-hop chain to the test bed's sshd: authenticated, its forced command runs", async () => {
    const before = tunnels();
    const conf = readFileSync(join(bed.stateDir, 'ssh/sshd_config'), 'utf8');
    const port = /^ListenAddress\s+127\.0\.0\.1:(\d+)$/m.exec(conf)?.[1];
    expect(port, 'ListenAddress in the test bed sshd_config').toBeDefined();
    const args = [
      '-F',
      '/dev/null',
      '-i',
      join(bed.stateDir, 'ssh/client_ed25519'),
      '-o',
      `UserKnownHostsFile=${join(bed.stateDir, 'ssh/known_hosts')}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'BatchMode=yes',
      '-o',
      `ProxyCommand=${process.execPath} ${CLI} connect -c ${chain3} %h:%p`,
      '-p',
      String(port),
      'root@127.0.0.1',
      'true',
    ];
    const r = await exec('ssh', args, env);
    // The test bed's key is restricted to /usr/sbin/nologin: its message proves the session ran.
    expect(r.stdout).toContain('This account is currently not available.');
    expect(r.code).toBe(1);
    await expectTunnels(before, 1);
  });

  it('git clone over ssh with core.sshCommand using sockschain connect', async () => {
    const before = tunnels();
    const { host, port } = sshd;
    const dest = join(home, 'clone-ssh');
    const sshCommand = ['ssh', ...sshArgs(chain2).map((a) => (a.includes(' ') ? `'${a}'` : a))].join(' ');
    const r = await exec('git', ['clone', '-q', `ssh://root@${host}:${port}${origin.repoDir}`, dest], {
      ...env,
      GIT_SSH_COMMAND: sshCommand,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dest, 'README'), 'utf8')).toBe('cloned through the chain\n');
    await expectTunnels(before, 1);
  });
});

const GO_PROGRAM = `package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
)

// Go's ProxyFromEnvironment never proxies localhost and 127.0.0.1 targets, so the test
// takes HTTP_PROXY as given; for other hosts the standard transport reads it by itself.
func main() {
	proxy, err := url.Parse(os.Getenv("HTTP_PROXY"))
	if err != nil || proxy.Host == "" {
		fmt.Fprintln(os.Stderr, "HTTP_PROXY is not set")
		os.Exit(3)
	}
	client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy)}}
	resp, err := client.Get(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Print(string(body))
}
`;
