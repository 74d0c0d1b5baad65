/** `sockschain demo`, run as users run it: the built CLI, no fixtures, nothing but the package. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../../src/cli/demo/servers.js';
import { cleanEnv, ensureBuilt, expectNoSecretIn, ROOT, runCli } from './run-cli.js';

beforeAll(async () => {
  await ensureBuilt();
}, 120_000);

describe('sockschain demo', () => {
  it('runs three local proxies, probes, fetches, shows a failing hop, and exits 0 within seconds', async () => {
    const result = await runCli(['demo']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.ms).toBeLessThan(5000);
    const out = result.stdout;
    expect(out).toMatch(
      /^ {2}hop 1 {2}http:\/\/demo:\*\*\*@127\.0\.0\.1:\d+ +HTTP CONNECT proxy, Basic auth$/m,
    );
    expect(out).toMatch(
      /^ {2}hop 2 {2}socks5:\/\/demo:\*\*\*@127\.0\.0\.1:\d+ +SOCKS5 proxy, user\/password$/m,
    );
    expect(out).toMatch(/^ {2}hop 3 {2}https:\/\/127\.0\.0\.1:\d+ +HTTPS proxy/m);
    // The probe table: every hop ok, the target reachable.
    expect(out).toMatch(/^\s+1\s+http\s+.*\sok$/m);
    expect(out).toMatch(/^\s+2\s+socks5\s+.*via 1.*\sok$/m);
    expect(out).toMatch(/^\s+3\s+https\s+.*via 2\s+[\d.]+\s.*\sok$/m);
    expect(out).toMatch(/→\s+target\s+127\.0\.0\.1:\d+\s+via 3\s+reachable$/m);
    // The page, and each proxy's own record of carrying it.
    expect(out).toMatch(/GET \/ -> 200 in [\d.]+ ms, \d+ bytes: "Hello from the sockschain demo origin"/);
    expect(out).toMatch(/^ {4}hop 1 {2}http-connect .*: ok, \d+ bytes up/m);
    expect(out).toMatch(/^ {4}hop 2 {2}socks5 .*: ok, \d+ bytes up/m);
    expect(out).toMatch(/^ {4}hop 3 {2}http-connect .*: ok, \d+ bytes up/m);
    // The failing hop, diagnosed.
    expect(out).toMatch(/error: AUTH_FAILED: hop 2 \(socks5:\/\/demo:\*\*\*@127\.0\.0\.1:\d+\)/);
    expect(out).toMatch(/hint: hop 2 rejected the credentials/);
    expect(out).not.toMatch(/\x1b\[/);
    expectNoSecretIn(result, DEMO_PASSWORD);
    expect(out).not.toContain('wrong-password');
  });

  it('--help explains it; a stray argument is a usage error', async () => {
    const help = await runCli(['demo', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: sockschain demo/);
    const bad = await runCli(['demo', '--fast']);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/Unknown option '--fast'/);
    const extra = await runCli(['demo', 'now']);
    expect(extra.code).toBe(64);
    expect(extra.stderr).toMatch(/demo takes no arguments, got "now"/);
  });

  it('a reader that leaves early (| head) ends it quietly, not with an EPIPE crash', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/sockschain.js'), 'demo'], { env: cleanEnv() });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise((resolve) => child.once('close', resolve));
    expect(stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(code).toBe(0);
  });
});
