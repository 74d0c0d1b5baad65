/**
 * An MIT Kerberos KDC on loopback for the Negotiate test, with a realm made here: principals
 * alice (password) and HTTP/localhost (keytab, for squid's negotiate_kerberos_auth), and a
 * ticket cache for alice. Nothing reads the machine's /etc/krb5.conf: every tool gets
 * KRB5_CONFIG (and the KDC KRB5_KDC_PROFILE) pointing here. SPNEGO tokens come from curl
 * (`--negotiate`, GSS-API), so the test needs no native Node binding.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';

export const REALM = 'SOCKS.TEST';

export interface Kdc {
  env: NodeJS.ProcessEnv;
  keytab: string;
  /** A fresh SPNEGO token for HTTP@localhost, as alice. */
  token(): Promise<string>;
  stop(): Promise<void>;
}

export function kdcMissing(): string | undefined {
  for (const bin of [
    '/usr/sbin/krb5kdc',
    '/usr/sbin/kdb5_util',
    '/usr/sbin/kadmin.local',
    '/usr/bin/kinit',
    '/usr/bin/curl',
  ]) {
    if (!existsSync(bin)) return `${bin} not found: run scripts/testbed/install.sh`;
  }
  return undefined;
}

export async function startKdc(port: number): Promise<Kdc> {
  const dir = mkdtempSync('/var/tmp/sockschain-kdc-');
  // squid's helper (user proxy) reads krb5.conf and the keytab in here.
  chmodSync(dir, 0o755);
  writeFileSync(
    join(dir, 'krb5.conf'),
    `[libdefaults]
 default_realm = ${REALM}
 dns_lookup_kdc = false
 dns_lookup_realm = false
 rdns = false
 dns_canonicalize_hostname = false
 udp_preference_limit = 1
[realms]
 ${REALM} = {
  kdc = 127.0.0.1:${port}
 }
[domain_realm]
 localhost = ${REALM}
`,
  );
  writeFileSync(
    join(dir, 'kdc.conf'),
    `[kdcdefaults]
 kdc_listen = 127.0.0.1:${port}
 kdc_tcp_listen = 127.0.0.1:${port}
[realms]
 ${REALM} = {
  database_name = ${dir}/principal
  key_stash_file = ${dir}/stash
  acl_file = ${dir}/kadm5.acl
 }
`,
  );
  writeFileSync(join(dir, 'kadm5.acl'), '');
  const env = {
    ...process.env,
    KRB5_CONFIG: join(dir, 'krb5.conf'),
    KRB5_KDC_PROFILE: join(dir, 'kdc.conf'),
    KRB5CCNAME: `FILE:${join(dir, 'alice.cc')}`,
  };
  const keytab = join(dir, 'http.keytab');
  const run = (file: string, args: string[], input?: string) =>
    execFileSync(file, args, { env, input, stdio: ['pipe', 'ignore', 'pipe'] });
  run('/usr/sbin/kdb5_util', ['create', '-s', '-r', REALM, '-P', 'kdc-master-key']);
  run('/usr/sbin/kadmin.local', ['-q', 'addprinc -pw alice-krb5 alice']);
  run('/usr/sbin/kadmin.local', ['-q', 'addprinc -randkey HTTP/localhost']);
  run('/usr/sbin/kadmin.local', ['-q', `ktadd -k ${keytab} HTTP/localhost`]);
  chownSync(keytab, proxyId(2), proxyId(3)); // squid's helper runs as proxy
  const kdc = spawn('/usr/sbin/krb5kdc', ['-n'], { env, stdio: 'ignore' });
  try {
    await waitForPort(port, kdc);
    run('/usr/bin/kinit', ['alice'], 'alice-krb5\n');
  } catch (error) {
    kdc.kill('SIGKILL');
    throw error;
  }
  return {
    env,
    keytab,
    token: () => spnegoToken(env),
    stop: async () => {
      if (kdc.exitCode === null) {
        const exited = new Promise((r) => kdc.once('exit', r));
        kdc.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** curl --negotiate against a local server that asks for Negotiate, which keeps the token curl sends. */
async function spnegoToken(env: NodeJS.ProcessEnv): Promise<string> {
  let token: string | undefined;
  const server = http.createServer((req, res) => {
    const value = /^Negotiate (\S+)/.exec(req.headers.authorization ?? '')?.[1];
    if (value) token = value;
    res.writeHead(value ? 200 : 401, value ? {} : { 'WWW-Authenticate': 'Negotiate' }).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  try {
    await new Promise<void>((resolve, reject) => {
      const curl = spawn(
        '/usr/bin/curl',
        ['-s', '-o', '/dev/null', '--negotiate', '-u', ':', `http://localhost:${port}/`],
        {
          env,
          stdio: 'ignore',
        },
      );
      curl.once('error', reject);
      curl.once('exit', () => resolve());
    });
  } finally {
    server.close();
  }
  if (!token) throw new Error('curl sent no Negotiate token (is curl built with GSS-API?)');
  return token;
}

function proxyId(field: 2 | 3): number {
  const line = execFileSync('getent', ['passwd', 'proxy'], { encoding: 'utf8' });
  return Number(line.split(':')[field]);
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await new Promise<boolean>((done) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        done(true);
      });
      socket.once('error', () => done(false));
    });
    if (up) return;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`krb5kdc did not start on ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
