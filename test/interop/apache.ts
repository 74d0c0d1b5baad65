/**
 * Apache httpd (Debian's apache2) as an authenticating forward proxy, started by a suite for
 * itself on a fixed loopback port: mod_proxy + mod_proxy_http with `ProxyRequests On` and
 * Basic proxy auth (`<Proxy "*">`, an htpasswd file). Its own config, state in a temp dir;
 * the system service is never used. Runs as `nobody` when started as root.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopGroup, waitForPort } from './own-servers.js';

export const APACHE_BINARIES = ['/usr/sbin/apache2', 'apache2', 'httpd'];
const MODULES = '/usr/lib/apache2/modules';

export interface ApacheProxy {
  /** The hop URL, credentials included. */
  url: string;
  port: number;
  version: string;
  /** access.log lines so far: `client user "request line" status`. */
  lines(): string[];
  stop(): Promise<void>;
}

export async function startApacheProxy(
  binary: string,
  port: number,
  auth: { username: string; password: string },
): Promise<ApacheProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'sockschain-apache-'));
  chmodSync(dir, 0o755); // the children (user nobody) read the password file
  const passwd = join(dir, 'passwd');
  execFileSync('htpasswd', ['-bc', passwd, auth.username, auth.password], { stdio: 'ignore' });
  chmodSync(passwd, 0o644);
  const modules = [
    ['mpm_event_module', 'mod_mpm_event.so'],
    ['authz_core_module', 'mod_authz_core.so'],
    ['authz_user_module', 'mod_authz_user.so'],
    ['authn_core_module', 'mod_authn_core.so'],
    ['authn_file_module', 'mod_authn_file.so'],
    ['auth_basic_module', 'mod_auth_basic.so'],
    ['proxy_module', 'mod_proxy.so'],
    ['proxy_http_module', 'mod_proxy_http.so'],
  ];
  const conf = `ServerRoot ${dir}
ServerName 127.0.0.1
DefaultRuntimeDir ${dir}
PidFile ${dir}/httpd.pid
ErrorLog ${dir}/error.log
LogLevel warn
Listen 127.0.0.1:${port}
User nobody
Group nogroup
${modules.map(([name, file]) => `LoadModule ${name} ${MODULES}/${file}`).join('\n')}
LogFormat "%h %u \\"%r\\" %>s" plain
CustomLog ${dir}/access.log plain
ProxyRequests On
ProxyVia Off
<Proxy "*">
  AuthType Basic
  AuthName "sockschain"
  AuthUserFile ${passwd}
  Require valid-user
</Proxy>
`;
  writeFileSync(join(dir, 'httpd.conf'), conf);
  const version = execFileSync(binary, ['-v'], { encoding: 'utf8' }).match(/Apache\/[\d.]+/)?.[0] ?? '?';
  const child = spawn(binary, ['-f', join(dir, 'httpd.conf'), '-DFOREGROUND'], {
    stdio: 'ignore',
    detached: true,
  });
  const errorLog = () =>
    existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '';
  const stop = () => stopGroup(child).finally(() => rmSync(dir, { recursive: true, force: true }));
  try {
    await Promise.race([
      waitForPort(port),
      new Promise((_, reject) =>
        child.once('exit', (code) => reject(new Error(`apache2 exited (${code}): ${errorLog()}`))),
      ),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  const log = join(dir, 'access.log');
  const user = encodeURIComponent(auth.username);
  return {
    url: `http://${user}:${encodeURIComponent(auth.password)}@127.0.0.1:${port}`,
    port,
    version,
    lines: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []),
    stop,
  };
}
