/** `sockschain connect` and `sockschain run` (built CLI) against fixture proxies on loopback. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fixture, startEchoServer, startSocksServer } from '../../fixtures/index.js';
import { cleanEnv, ensureBuilt, expectNoSecretIn, ROOT, runCli } from './run-cli.js';

const BIN = join(ROOT, 'bin/sockschain.js');

const SECRET = 'pa:ss@w0rd/%secret';
let echo: Fixture;
let socks: Fixture;
let hop: string;
let wrongHop: string;

beforeAll(async () => {
  await ensureBuilt();
  echo = await startEchoServer();
  socks = await startSocksServer({ versions: [5], auth: { username: 'alice', password: SECRET } });
  hop = `socks5://alice:${encodeURIComponent(SECRET)}@127.0.0.1:${socks.port}`;
  wrongHop = `socks5://alice:wrong@127.0.0.1:${socks.port}`;
}, 120_000);

afterAll(async () => {
  await echo?.close();
  await socks?.close();
});

describe('sockschain connect', () => {
  it('relays stdin to the target and back; EOF on stdin half-closes, the echo still arrives', async () => {
    const r = await runCli(['connect', '-c', hop, `127.0.0.1:${echo.port}`], {
      input: 'ping through the chain\n',
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('ping through the chain\n');
    expect(r.stderr).toBe('');
  });

  it('a hop failure: exit 2, the probe-style message on stderr, nothing on stdout', async () => {
    const r = await runCli(['connect', '-c', wrongHop, `127.0.0.1:${echo.port}`]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: AUTH_FAILED: hop 1 .*\nhint: hop 1 rejected the credentials/);
  });

  it('the target unreachable from the last hop: exit 1', async () => {
    const closed = await startEchoServer();
    const port = closed.port;
    await closed.close();
    const r = await runCli(['connect', '-c', hop, `127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/TARGET_UNREACHABLE/);
    expectNoSecretIn(r, SECRET);
  });

  it('--idle-timeout closes a quiet tunnel with exit 0', async () => {
    // stdin stays open (no EOF), so only the idle timeout can end the relay.
    const child = spawn(
      process.execPath,
      [BIN, 'connect', '--idle-timeout', '300ms', '-c', hop, `127.0.0.1:${echo.port}`],
      {
        env: cleanEnv(),
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    child.stdin.destroy();
    expect(code).toBe(0);
    expect(stderr).toContain('closed (--idle-timeout)');
  });

  it('usage errors exit 64', async () => {
    expect((await runCli(['connect', '-c', hop])).code).toBe(64);
    expect((await runCli(['connect', '-c', hop, 'no-port'])).code).toBe(64);
  });
});

describe('sockschain run', () => {
  const printEnv = `for (const k of ['HTTP_PROXY','https_proxy','ALL_PROXY','NO_PROXY','PROXY_CHAIN','npm_config_proxy']) console.log(k + '=' + (process.env[k] ?? '<unset>'))`;

  it("gives CMD the proxy variables with a per-run credential, and passes CMD's exit status", async () => {
    const env = cleanEnv({ PROXY_CHAIN: hop, NO_PROXY: 'localhost,127.0.0.1' });
    const r = await runCli(['run', '--', process.execPath, '-e', `${printEnv}; process.exit(5)`], { env });
    expect(r.code).toBe(5);
    const vars = Object.fromEntries(
      r.stdout
        .trim()
        .split('\n')
        .map((line) => line.split(/=(.*)/s).slice(0, 2)),
    );
    expect(vars.HTTP_PROXY).toMatch(/^http:\/\/sockschain:[0-9a-f]{48}@127\.0\.0\.1:\d+$/);
    expect(vars.https_proxy).toBe(vars.HTTP_PROXY);
    expect(vars.ALL_PROXY).toMatch(/^socks5h:\/\/sockschain:[0-9a-f]{48}@127\.0\.0\.1:\d+$/);
    expect(vars.npm_config_proxy).toBe(vars.HTTP_PROXY);
    // A chain from the environment takes NO_PROXY as its bypass rules: CMD gets the same.
    expect(vars.NO_PROXY).toBe('localhost,127.0.0.1');
    expect(vars.PROXY_CHAIN).toBe('<unset>');
    expect(r.stderr).toBe('');
    // With --chain, the caller's NO_PROXY (often loopback) must not send CMD around the chain.
    const own = await runCli(['run', '-c', hop, '--', process.execPath, '-e', printEnv], { env });
    expect(own.stdout).toContain('NO_PROXY=\n');
  });

  it('the proxy it starts refuses clients without the credential', async () => {
    const script = `
      const net = require('node:net');
      const { port } = new URL(process.env.ALL_PROXY);
      const s = net.connect(Number(port), '127.0.0.1', () => s.write(Buffer.from([5, 1, 0])));
      s.on('data', (d) => { console.log(d.toString('hex')); s.destroy(); });`;
    const r = await runCli(['run', '-c', hop, '--', process.execPath, '-e', script]);
    expect(r.code).toBe(0);
    // SOCKS5: "no acceptable methods" for a client offering no authentication.
    expect(r.stdout.trim()).toBe('05ff');
  });

  it('--print-env writes export lines without any credential', async () => {
    const r = await runCli(['run', '--print-env', '-c', hop], {
      env: cleanEnv({ SOCKSCHAIN_SERVE_AUTH: 'u:secretpw' }),
    });
    expect(r.code).toBe(0);
    // The shell fills the credential in from the variable when it reads the lines.
    const ref = '$' + '{SOCKSCHAIN_SERVE_AUTH}';
    expect(r.stdout).toContain(`export HTTP_PROXY="http://${ref}@127.0.0.1:8080"`);
    expect(r.stdout).toContain(`export ALL_PROXY="socks5h://${ref}@127.0.0.1:1080"`);
    expect(r.stdout).not.toContain('secretpw');
    expectNoSecretIn(r, SECRET);
    const plain = await runCli(['run', '--print-env', '-c', hop, '-l', 'http://127.0.0.1:3128']);
    expect(plain.stdout).toContain('export https_proxy="http://127.0.0.1:3128"');
    expect(plain.stdout).toContain('export all_proxy="http://127.0.0.1:3128"');
  });

  it('passes SIGTERM on to CMD and returns what CMD made of it', async () => {
    const child = spawn(
      process.execPath,
      [
        BIN,
        'run',
        '-c',
        hop,
        '--',
        'sh',
        '-c',
        'trap "echo got-term; exit 42" TERM; echo ready; while :; do sleep 0.1; done',
      ],
      { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    const ready = new Promise<void>((resolve) =>
      child.stdout.on('data', (d) => {
        stdout += d;
        if (stdout.includes('ready')) resolve();
      }),
    );
    await ready;
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code).toBe(42);
    expect(stdout).toContain('got-term');
  });

  it('a terminal stays a terminal for CMD', async () => {
    // script(1) gives sockschain a pseudo-terminal; CMD must see it on stdin and stdout.
    const inner = `${process.execPath} ${BIN} run -c ${hop} -- sh -c 'test -t 0 && test -t 1 && echo both-tty'`;
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('script', ['-qec', inner, '/dev/null'], {
        env: cleanEnv(),
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.once('close', (code) => resolve({ code, out }));
    });
    expect(r.out).toContain('both-tty');
    expect(r.code).toBe(0);
  });

  it('a command that does not exist: 127; no command: 64', async () => {
    expect((await runCli(['run', '-c', hop, '--', 'no-such-command-sockschain'])).code).toBe(127);
    expect((await runCli(['run', '-c', hop])).code).toBe(64);
  });
});
