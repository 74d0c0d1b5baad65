/**
 * Nmap's ncat as an authenticating HTTP proxy (`ncat -l HOST PORT --keep-open --proxy-type
 * http --proxy-auth user:pass`), started by a suite for itself on a fixed loopback port.
 *
 * Measured with ncat 7.93 (Debian 12): it forwards absolute-form requests (origin-form gets
 * `400 Bad Request`), answers HTTP/1.0, never sends `100 Continue` (it reads the whole body by
 * Content-Length before it connects to the origin, so the origin's 100 cannot come back
 * either), and refuses chunked request bodies with 400. A client that waits for 100 forever
 * (node:http does, unless the application sends the body anyway) hangs; curl sends the body
 * after 1 s.
 */
import { spawn, spawnSync } from 'node:child_process';
import { stopGroup, waitForPort } from './own-servers.js';

export const NCAT_BINARIES = ['ncat'];

export interface NcatProxy {
  url: string;
  port: number;
  version: string;
  stop(): Promise<void>;
}

export async function startNcatProxy(
  binary: string,
  port: number,
  auth: { username: string; password: string },
): Promise<NcatProxy> {
  // ncat prints its version on stderr.
  const printed = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  const version = `${printed.stdout}${printed.stderr}`.match(/Version [\d.]+/)?.[0] ?? '?';
  const args = ['-l', '127.0.0.1', String(port), '--keep-open', '--proxy-type', 'http'];
  const child = spawn(binary, [...args, '--proxy-auth', `${auth.username}:${auth.password}`], {
    stdio: 'ignore',
    detached: true,
  });
  try {
    await Promise.race([
      waitForPort(port),
      new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`ncat exited (${code})`)))),
    ]);
  } catch (error) {
    await stopGroup(child);
    throw error;
  }
  return {
    url: `http://${encodeURIComponent(auth.username)}:${encodeURIComponent(auth.password)}@127.0.0.1:${port}`,
    port,
    version: `ncat ${version}`,
    stop: () => stopGroup(child),
  };
}
