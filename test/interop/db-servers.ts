/**
 * Real database servers from Debian for the database-client suite, each started here on its
 * own port with its state in a temp dir and stopped at the end: PostgreSQL, Redis, MariaDB, exim4.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopGroup, waitForPort } from './own-servers.js';

export interface DbServer {
  host: string;
  port: number;
  password: string;
  stop(): Promise<void>;
}

function idOf(user: string): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, user], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

async function started(child: ChildProcess, port: number, name: string, ms = 30_000): Promise<void> {
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  await Promise.race([
    waitForPort(port, ms),
    new Promise((_, reject) =>
      child.once('exit', (code) => reject(new Error(`${name} exited (${code}): ${output.slice(-2000)}`))),
    ),
  ]);
}

function temp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `sockschain-${prefix}-`));
}

/**
 * PostgreSQL (initdb as user postgres), scram-sha-256 for TCP from 127.0.0.1, and TLS offered
 * with the certificate `tls` names (for 127.0.0.1), so that clients can ask for it.
 */
export async function startPostgres(port: number, tls: { cert: string; key: string }): Promise<DbServer> {
  const dir = temp('pg');
  const password = 'pg-secret-for-tests';
  const postgres = idOf('postgres');
  chownSync(dir, postgres.uid, postgres.gid);
  writeFileSync(join(dir, 'pw'), `${password}\n`);
  chownSync(join(dir, 'pw'), postgres.uid, postgres.gid);
  const version = readdirSync('/usr/lib/postgresql').sort().at(-1);
  const bin = `/usr/lib/postgresql/${version}/bin`;
  const data = join(dir, 'data');
  // postgres refuses a key that others can read, and reads both as its own user.
  for (const [name, from] of [
    ['server.crt', tls.cert],
    ['server.key', tls.key],
  ] as const) {
    writeFileSync(join(dir, name), readFileSync(from), { mode: 0o600 });
    chownSync(join(dir, name), postgres.uid, postgres.gid);
  }
  execFileSync(
    `${bin}/initdb`,
    ['-D', data, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${join(dir, 'pw')}`, '-E', 'UTF8'],
    { ...postgres, stdio: 'pipe', cwd: dir },
  );
  const child = spawn(
    `${bin}/postgres`,
    [
      '-D',
      data,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${dir}`,
      '-c',
      'ssl=on',
      '-c',
      `ssl_cert_file=${join(dir, 'server.crt')}`,
      '-c',
      `ssl_key_file=${join(dir, 'server.key')}`,
    ],
    { ...postgres, cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await started(child, port, 'postgres');
  return {
    host: '127.0.0.1',
    port,
    password,
    stop: () => stopGroup(child).finally(() => rmSync(dir, { recursive: true, force: true })),
  };
}

/** redis-server, no persistence, a password required. */
export async function startRedis(port: number): Promise<DbServer> {
  const dir = temp('redis');
  const password = 'redis-secret-for-tests';
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--requirepass',
      password,
    ],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await started(child, port, 'redis-server');
  return {
    host: '127.0.0.1',
    port,
    password,
    stop: () => stopGroup(child).finally(() => rmSync(dir, { recursive: true, force: true })),
  };
}

/**
 * MariaDB: system tables from mariadb-install-db, then mariadbd with --skip-grant-tables
 * (any user and password is let in: the suite is about the transport, not MariaDB's accounts).
 */
export async function startMariadb(port: number): Promise<DbServer> {
  const dir = temp('mariadb');
  const data = join(dir, 'data');
  execFileSync(
    'mariadb-install-db',
    [
      '--no-defaults',
      `--datadir=${data}`,
      '--user=root',
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
    ],
    { stdio: 'pipe' },
  );
  const child = spawn(
    'mariadbd',
    [
      '--no-defaults',
      `--datadir=${data}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${join(dir, 'mariadb.sock')}`,
      `--pid-file=${join(dir, 'mariadb.pid')}`,
      '--user=root',
      '--skip-grant-tables',
      '--skip-name-resolve',
    ],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await started(child, port, 'mariadbd', 60_000);
  return {
    host: '127.0.0.1',
    port,
    password: '',
    stop: () => stopGroup(child).finally(() => rmSync(dir, { recursive: true, force: true })),
  };
}

export interface MailServer extends DbServer {
  /** exim's main and panic logs: one `<=` line with T="subject" per message received. */
  log(): string;
}

/**
 * exim4 in the foreground with a config of its own: accepts any mail and drops it; what it
 * received is in its main log (sender, size, subject).
 */
export async function startExim(port: number): Promise<MailServer> {
  const dir = temp('exim');
  for (const sub of ['spool', 'log']) execFileSync('mkdir', ['-p', join(dir, sub)]);
  // exim drops privileges for a -C config: the spool and logs must be writable by anyone.
  execFileSync('chmod', ['-R', '777', dir]);
  writeFileSync(
    join(dir, 'exim.conf'),
    `primary_hostname = sockschain-test
daemon_smtp_ports = ${port}
local_interfaces = 127.0.0.1
spool_directory = ${dir}/spool
log_file_path = ${dir}/log/%slog
acl_smtp_rcpt = acl_check_rcpt
host_lookup =
rfc1413_hosts =
log_selector = +subject

begin acl
acl_check_rcpt:
  accept

begin routers
drop:
  driver = redirect
  data = :blackhole:
`,
  );
  const child = spawn('exim4', ['-C', join(dir, 'exim.conf'), '-bdf', '-odf'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await started(child, port, 'exim4');
  return {
    host: '127.0.0.1',
    port,
    password: '',
    log: () => ['mainlog', 'paniclog'].map((f) => readOrEmpty(join(dir, 'log', f))).join('\n'),
    stop: () => stopGroup(child).finally(() => rmSync(dir, { recursive: true, force: true })),
  };
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
