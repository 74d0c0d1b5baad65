/**
 * Servers the program and database-client suites start for themselves, next to the shared test
 * bed: a squid of their own as FIRST hop (its access.log holds only this suite's tunnels, so
 * a test can assert that a program's traffic went through the chain), and an origin on an
 * ephemeral port that records the paths it served and serves a bare git repository (dumb HTTP).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import type { Testbed } from './testbed.js';

export async function waitForPort(port: number, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => resolve(true));
      socket.once('error', () => resolve(false));
    }).catch(() => false);
    if (open) return;
    if (Date.now() > until) throw new Error(`nothing listens on 127.0.0.1:${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface OwnSquid {
  url: string;
  port: number;
  /** The access.log lines written so far. */
  lines(): string[];
  stop(): Promise<void>;
}

/**
 * Copies scripts/testbed/squid-common.conf (the lines every test squid shares) into `dir` and
 * returns its path, for an `include` line in that squid's config.
 */
export function squidCommonConf(dir: string): string {
  const path = join(dir, 'squid-common.conf');
  copyFileSync(new URL('../../scripts/testbed/squid-common.conf', import.meta.url), path);
  return path;
}

/** squid on 127.0.0.1:PORT, open, loopback destinations only; state in a temp dir `proxy` can enter. */
export async function startOwnSquid(port: number): Promise<OwnSquid> {
  const dir = mkdtempSync(join(tmpdir(), 'sockschain-squid-'));
  chmodSync(dir, 0o755);
  const proxyUser = Number(execFileSync('id', ['-u', 'proxy'], { encoding: 'utf8' }).trim());
  chownSync(dir, proxyUser, -1);
  const conf = `http_port 127.0.0.1:${port}
visible_hostname sockschain-programs
cache_effective_user proxy
pid_filename ${dir}/squid.pid
cache_log ${dir}/cache.log
access_log stdio:${dir}/access.log squid
coredump_dir ${dir}
include ${squidCommonConf(dir)}
tcp_outgoing_address 127.0.0.1
acl lo_dst dst 127.0.0.0/8
http_access deny !lo_dst
http_access allow all
`;
  writeFileSync(join(dir, 'squid.conf'), conf);
  const child = spawn('squid', ['-N', '-f', join(dir, 'squid.conf')], { stdio: 'ignore', detached: true });
  await Promise.race([
    waitForPort(port),
    new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`squid exited (${code})`)))),
  ]);
  const log = join(dir, 'access.log');
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    lines: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []),
    stop: () => stopGroup(child).finally(() => rmSync(dir, { recursive: true, force: true })),
  };
}

/** Stops a detached child and its process group (squid forks helpers). */
export function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined)
    return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {}
    }, 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      process.kill(-(child.pid as number), 'SIGTERM');
    } catch {
      resolve();
    }
  });
}

export interface OwnOrigin {
  http: { port: number; url: string };
  https: { port: number; url: string };
  /** Paths served so far, both servers. */
  paths: string[];
  /** A bare repository served at `${http.url}repo.git`, with one commit holding README. */
  repoDir: string;
  stop(): Promise<void>;
}

export async function startOwnOrigin(testbed: Testbed): Promise<OwnOrigin> {
  const dir = mkdtempSync(join(tmpdir(), 'sockschain-origin-'));
  const repoDir = join(dir, 'repo.git');
  const work = join(dir, 'work');
  const git = (args: string[], cwd = dir) =>
    execFileSync('git', args, {
      cwd,
      env: { PATH: process.env.PATH, HOME: dir, GIT_CONFIG_NOSYSTEM: '1' },
      stdio: 'pipe',
    });
  git(['init', '-q', '-b', 'main', work]);
  writeFileSync(join(work, 'README'), 'cloned through the chain\n');
  git(['add', 'README'], work);
  git(['-c', 'user.name=t', '-c', 'user.email=t@localhost', 'commit', '-q', '-m', 'first'], work);
  git(['clone', '-q', '--bare', work, repoDir]);
  git(['update-server-info'], repoDir);

  const paths: string[] = [];
  const handler = (origin: string) => (req: http.IncomingMessage, res: http.ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    paths.push(path);
    if (path.startsWith('/repo.git/')) {
      const file = normalize(join(dir, path));
      if (file.startsWith(repoDir) && existsSync(file) && statSync(file).isFile()) {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(readFileSync(file));
      } else {
        res.writeHead(404).end();
      }
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ origin, path }));
  };
  const plain = http.createServer(handler('own-http'));
  const secure = https.createServer(
    {
      cert: readFileSync(join(testbed.stateDir, 'tls/server.crt')),
      key: readFileSync(join(testbed.stateDir, 'tls/server.key')),
    },
    handler('own-https'),
  );
  const listen = (server: net.Server) =>
    new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
    );
  const httpPort = await listen(plain);
  const httpsPort = await listen(secure);
  const close = (server: net.Server) =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      (server as http.Server).closeAllConnections();
    });
  return {
    http: { port: httpPort, url: `http://127.0.0.1:${httpPort}/` },
    https: { port: httpsPort, url: `https://localhost:${httpsPort}/` },
    paths,
    repoDir,
    stop: async () => {
      await Promise.all([close(plain), close(secure)]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface OwnSshd {
  host: string;
  port: number;
  /** ssh options for a client: key, known_hosts, batch mode, no user configuration. */
  clientArgs: string[];
  stop(): Promise<void>;
}

/**
 * An sshd of our own that runs commands (the test bed's key is locked to nologin): root by a
 * key generated here, loopback only, no forwarding.
 */
export async function startOwnSshd(port: number): Promise<OwnSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'sockschain-sshd-'));
  const keygen = (file: string, comment: string) =>
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', join(dir, file)]);
  keygen('host_key', 'sockschain-test-host');
  keygen('client_key', 'sockschain-test-client');
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')));
  const hostKey = readFileSync(join(dir, 'host_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostKey}\n`);
  writeFileSync(
    join(dir, 'sshd_config'),
    `ListenAddress 127.0.0.1:${port}
HostKey ${dir}/host_key
PidFile ${dir}/sshd.pid
AuthorizedKeysFile ${dir}/authorized_keys
AllowUsers root
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
StrictModes no
AllowTcpForwarding no
X11Forwarding no
PermitTTY no
`,
  );
  execFileSync('mkdir', ['-p', '/run/sshd']);
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], {
    stdio: 'ignore',
    detached: true,
  });
  await Promise.race([
    waitForPort(port),
    new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`sshd exited (${code})`)))),
  ]);
  return {
    host: '127.0.0.1',
    port,
    clientArgs: [
      '-F',
      '/dev/null',
      '-i',
      join(dir, 'client_key'),
      '-o',
      `UserKnownHostsFile=${join(dir, 'known_hosts')}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'BatchMode=yes',
    ],
    stop: () => stopGroup(child).finally(() => rmSync(dir, { recursive: true, force: true })),
  };
}
