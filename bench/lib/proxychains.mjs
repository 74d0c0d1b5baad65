// proxychains4 as a peer: a config for a chain of bench hops, and runs of a small client
// under it (bench/clients/connect-timer.mjs times its own connect() calls).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const TIMER = new URL('../clients/connect-timer.mjs', import.meta.url).pathname;

export async function hasProxychains() {
  try {
    await run('proxychains4', ['-q', '-f', '/dev/null', 'true']);
    return true;
  } catch (error) {
    return error.code !== 'ENOENT';
  }
}

/**
 * Writes a proxychains4 config for `hops` (strict chain, no proxy_dns, no localnet line: a
 * localnet 127.0.0.0 would send the loopback target around the chain). Returns its path
 * and a cleanup function.
 */
export function proxychainsConf(hops) {
  const dir = mkdtempSync(join(tmpdir(), 'sockschain-bench-'));
  const lines = hops.map((hop) => {
    const creds = hop.auth ? ` ${hop.auth.username} ${hop.auth.password}` : '';
    return `${hop.protocol} ${hop.host} ${hop.port}${creds}`;
  });
  const file = join(dir, 'proxychains.conf');
  const settings = ['strict_chain', 'quiet_mode', 'tcp_read_time_out 15000', 'tcp_connect_time_out 8000'];
  writeFileSync(file, `${settings.join('\n')}\n[ProxyList]\n${lines.join('\n')}\n`);
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Setup times in ms of `count` connections made by one client process under proxychains4. */
export async function proxychainsConnects(conf, target, count) {
  const { stdout } = await run(
    'proxychains4',
    ['-q', '-f', conf, process.execPath, TIMER, target.host, String(target.port), String(count)],
    { timeout: 120_000 },
  );
  return JSON.parse(stdout.trim().split('\n').pop());
}
