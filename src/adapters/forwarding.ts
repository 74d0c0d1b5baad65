/**
 * How plain http:// requests travel when the last hop is an HTTP proxy. By default they go
 * to that proxy in absolute-form (`GET http://host/path`), as curl does: many real proxies
 * (squid's default configuration among them) refuse CONNECT to ports other than 443. The
 * chain option `httpForwarding: 'connect'`, or an adapter's own `forwarding`, tunnels them
 * with CONNECT like every other target.
 *
 * The requests are written for one hop (its credentials in Proxy-Authorization), so this
 * needs a last hop that is fixed: mode 'strict' (chain.hops' last hop; Chain.fromEnv puts the
 * HTTP_PROXY hop last). Chains whose last hop varies ('dynamic', 'random', 'round_robin')
 * use CONNECT. Targets the chain does not proxy (NO_PROXY) connect directly, as with connect().
 */
import type { ChainConnector } from '../chain/connector.js';
import { describeValue } from '../errors.js';
import type { Hop } from '../hop.js';
import { basicAuthorization } from '../protocols/auth/basic.js';
import { fits, invalid, milliseconds } from '../validate.js';

export type HttpForwarding = 'absolute' | 'connect';

/** The adapter's `forwarding` if given, else the chain's `httpForwarding`. */
export function forwardingMode(chain: ChainConnector, override: unknown): HttpForwarding {
  const value = override ?? chain.options.httpForwarding;
  if (value === 'absolute' || value === 'connect') return value;
  throw invalid(`forwarding must be 'absolute' or 'connect', got ${JSON.stringify(value)}`);
}

/** The hop that receives absolute-form requests, or undefined when http:// targets go through CONNECT. */
export function absoluteFormHop(chain: ChainConnector, mode: HttpForwarding): Hop | undefined {
  if (mode !== 'absolute' || chain.options.mode !== 'strict') return undefined;
  const last = chain.hops[chain.hops.length - 1];
  if (last?.protocol !== 'http' && last?.protocol !== 'https') return undefined;
  // Absolute-form requests can only carry Basic; a hop that authenticates otherwise (NTLM,
  // Digest, Basic only once challenged) is reached through CONNECT, which answers challenges.
  const credentials = last.username !== undefined || last.password !== undefined;
  return credentials && !last.auth.preemptive ? undefined : last;
}

/** Whether a plain http:// request to host:port goes through the chain (not NO_PROXY, not direct). */
export function proxied(chain: ChainConnector, host: string, port: number | string | undefined): boolean {
  try {
    return !chain.bypasses({ host, port: Number(port) || 80 }, { protocol: 'http:' });
  } catch {
    // A target the chain cannot parse: connect() reports it properly.
    return false;
  }
}

/** The Proxy-Authorization value for `hop`, sent to that hop only; undefined without credentials. */
export function proxyAuthorization(hop: Hop): string | undefined {
  if (hop.username === undefined && hop.password === undefined) return undefined;
  return basicAuthorization(hop.username ?? '', hop.password ?? '');
}

/** A connection opened for absolute-form requests must reach the hop the requests were written for. */
export function checkForwardHop(expected: Hop, actual: Hop): void {
  if (expected === actual || expected.url === actual.url) return;
  throw invalid(
    `absolute-form requests were prepared for ${expected.url} but the chain reached ${actual.url}: use forwarding: 'connect' for this chain`,
    { hop: actual.url },
  );
}

/** Checks a connection count (maxSockets, connections) up front, so mistakes fail at creation. */
export function checkCount(value: unknown, name: string): void {
  if (value === undefined || value === Number.POSITIVE_INFINITY) return;
  if (fits(value, { whole: true, min: 1 })) return;
  throw invalid(`${name} must be a positive integer (or Infinity), got ${describeValue(value)}`);
}

/** Checks a deadline in ms. */
export function checkTimeout(value: unknown, name: string): void {
  if (value !== undefined) milliseconds(value, { name });
}
