/**
 * The DNS rule: by default no host name of a target is ever looked up here; the last hop
 * resolves it. `dns: 'local'` resolves the target (and host names that a plain socks4://
 * hop must be given as addresses) once, here, before dialing.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ChainError } from '../errors.js';
import { type Hop, parseHop } from '../hop.js';
import type { Target } from '../target.js';

export type DnsMode = 'remote' | 'local';

export interface LookupLimits {
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
}

export async function resolveLocally(target: Target, limits: LookupLimits = {}): Promise<Target> {
  if (isIP(target.host)) return target;
  try {
    const { address } = await bounded(lookup(target.host), target.host, limits);
    return { host: address, port: target.port };
  } catch (error) {
    if (error instanceof ChainError) throw error;
    throw new ChainError({
      code: 'DNS_FAILED',
      phase: 'config',
      target: target.host,
      message: `local lookup of ${target.host} failed (dns: 'local'): ${(error as NodeJS.ErrnoException).code ?? error}`,
      cause: error,
    });
  }
}

/** A stalled resolver must not outlive the caller's signal or deadline (getaddrinfo cannot be cancelled). */
function bounded<T>(lookup: Promise<T>, host: string, { signal, timeoutMs }: LookupLimits): Promise<T> {
  if (!signal && timeoutMs === undefined) return lookup;
  return new Promise<T>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const fail = (code: 'ABORTED' | 'DNS_FAILED', message: string, cause?: unknown) => {
      done();
      reject(new ChainError({ code, phase: 'config', target: host, message, cause }));
    };
    const onAbort = () => fail('ABORTED', `aborted during the local lookup of ${host}`, signal?.reason);
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(
            () => fail('DNS_FAILED', `local lookup of ${host} took over ${Math.round(timeoutMs)} ms`),
            timeoutMs,
          );
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    lookup.then(
      (value) => {
        done();
        resolve(value);
      },
      (error: unknown) => {
        done();
        reject(error);
      },
    );
  });
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
