/**
 * The DNS rule: by default no host name of a target is ever looked up here; the last hop
 * resolves it. `dns: 'local'` resolves the target (and host names that a plain socks4://
 * hop must be given as addresses) once, here, before dialing.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ChainError } from './errors.js';
import type { Target } from './target.js';
import { type Hop, parseHop } from './url.js';

export type DnsMode = 'remote' | 'local';

export async function resolveLocally(target: Target): Promise<Target> {
  if (isIP(target.host)) return target;
  try {
    const { address } = await lookup(target.host);
    return { host: address, port: target.port };
  } catch (error) {
    throw new ChainError({
      code: 'DNS_FAILED',
      phase: 'config',
      target: target.host,
      message: `local lookup of ${target.host} failed (dns: 'local'): ${(error as NodeJS.ErrnoException).code ?? error}`,
      cause: error,
    });
  }
}

/** With dns: 'local', a hop that follows a socks4:// hop gets its address resolved here. */
export async function resolveHopsForSocks4(hops: readonly Hop[]): Promise<Hop[]> {
  return Promise.all(
    hops.map(async (hop, index) => {
      const before = hops[index - 1];
      if (before?.protocol !== 'socks4' || isIP(hop.host)) return hop;
      const { host } = await resolveLocally({ host: hop.host, port: hop.port });
      return parseHop(
        {
          protocol: hop.protocol,
          host,
          port: hop.port,
          username: hop.username,
          password: hop.password,
          ...hop.tls,
          servername: hop.tls.servername ?? hop.host,
          pipeline: hop.pipeline,
        },
        index,
      );
    }),
  );
}
