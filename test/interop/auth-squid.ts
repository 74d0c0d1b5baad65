/**
 * A squid of our own for the proxy-auth tests (the shared test bed has no NTLM): one port
 * that offers NTLM only (squid's ntlm_fake_auth helper: any password passes, but the message
 * flow is checked, and the user name it reads is logged), and one that offers Negotiate
 * only, for the "scheme we cannot answer" error. User names ending in "mallory" are refused
 * by an ACL, which makes squid answer 407 again, as it does for a wrong password.
 * State lives under /var/tmp: squid runs as user `proxy`, who may not enter the checkout.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { squidCommonConf } from './own-servers.js';

export interface AuthSquid {
  ntlm: number;
  negotiate: number;
  /** No auth at all (the PAC tests read which requests came through here). */
  open: number;
  accessLog: string;
  /** The access.log lines written so far. */
  log(): string[];
  stop(): Promise<void>;
}

/** Ports base+1 (NTLM), base+2 (Negotiate), base+3 (open); one base per test file. */
export const AUTH_SQUID_BASE = { ntlm: 14200, pac: 14210, negotiate: 14220 };

/** Why this machine cannot run it, or undefined. */
export function authSquidMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'must run as root (squid drops privileges to user proxy)';
  for (const bin of [
    '/usr/sbin/squid',
    '/usr/lib/squid/ntlm_fake_auth',
    '/usr/lib/squid/negotiate_kerberos_auth',
  ]) {
    if (!existsSync(bin)) return `${bin} not found: run scripts/testbed/install.sh`;
  }
  return undefined;
}

/** With `kerberos`, the Negotiate port checks tickets for HTTP/localhost with that keytab. */
export async function startAuthSquid(
  base: number,
  kerberos?: { keytab: string; realm: string; env: NodeJS.ProcessEnv },
): Promise<AuthSquid> {
  const dir = mkdtempSync('/var/tmp/sockschain-auth-squid-');
  const [ntlm, negotiate, open] = [base + 1, base + 2, base + 3];
  const accessLog = join(dir, 'access.log');
  writeFileSync(
    join(dir, 'squid.conf'),
    `http_port 127.0.0.1:${ntlm} name=ntlm
http_port 127.0.0.1:${negotiate} name=negotiate
http_port 127.0.0.1:${open} name=open
visible_hostname sockschain-auth-squid
cache_effective_user proxy
pid_filename ${dir}/squid.pid
cache_log ${dir}/cache.log
access_log stdio:${accessLog} squid
coredump_dir ${dir}
max_filedescriptors 1024
include ${squidCommonConf(dir)}
tcp_outgoing_address 127.0.0.1
udp_outgoing_address 127.0.0.1
udp_incoming_address 127.0.0.1

auth_param ntlm program /usr/lib/squid/ntlm_fake_auth
auth_param ntlm children 2 startup=1 idle=1
auth_param ntlm keep_alive on
${
  kerberos
    ? `auth_param negotiate program /usr/lib/squid/negotiate_kerberos_auth -k ${kerberos.keytab} -s HTTP/localhost@${kerberos.realm}`
    : '# No KDC: started only if a Negotiate token arrives (none does).\nauth_param negotiate program /usr/lib/squid/negotiate_kerberos_auth -s GSS_C_NO_NAME'
}
auth_param negotiate children 1 startup=0 idle=1

acl p_ntlm myportname ntlm
acl p_negotiate myportname negotiate
acl p_open myportname open
auth_schemes ntlm p_ntlm
auth_schemes negotiate p_negotiate
acl lo_dst dst 127.0.0.0/8
acl authed proxy_auth REQUIRED
acl refused proxy_auth_regex -i mallory$

http_access deny !safe_name
http_access deny !lo_dst
http_access allow p_open
http_access deny refused
http_access allow authed
http_access deny all
`,
  );
  chownSync(dir, proxyUid(), proxyGid());
  const child = spawn('/usr/sbin/squid', ['-N', '-f', join(dir, 'squid.conf')], {
    stdio: 'ignore',
    env: kerberos?.env ?? process.env,
  });
  try {
    await waitForPorts(child, [ntlm, negotiate, open], dir);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    ntlm,
    negotiate,
    open,
    accessLog,
    log: () => (existsSync(accessLog) ? readFileSync(accessLog, 'utf8').split('\n').filter(Boolean) : []),
    stop: () => stop(child, dir),
  };
}

function proxyUid(): number {
  return Number(/^proxy:[^:]*:(\d+):/m.exec(readFileSync('/etc/passwd', 'utf8'))?.[1] ?? 13);
}

function proxyGid(): number {
  return Number(/^proxy:[^:]*:\d+:(\d+):/m.exec(readFileSync('/etc/passwd', 'utf8'))?.[1] ?? 13);
}

async function waitForPorts(child: ChildProcess, ports: number[], dir: string): Promise<void> {
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const deadline = Date.now() + 15_000;
  for (;;) {
    const up = await Promise.all(ports.map((port) => answers(port)));
    if (up.every(Boolean)) return;
    const log = existsSync(join(dir, 'cache.log')) ? readFileSync(join(dir, 'cache.log'), 'utf8') : '';
    if (exited || Date.now() > deadline) {
      throw new Error(
        `squid (auth) did not start on ${ports.join(', ')}:\n${log.split('\n').slice(-15).join('\n')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

function answers(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

async function stop(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(dir, { recursive: true, force: true });
}
