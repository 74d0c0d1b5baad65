/**
 * Routes by the target's scheme, for chains built from the standard HTTP_PROXY, HTTPS_PROXY
 * and ALL_PROXY variables, where http and https targets may go through different proxies
 * (or none). Other chains have no routes: every connection may use every hop.
 */
import type { Target } from '../target.js';

/** Positions in chain.hops for each kind of target, or 'direct'. */
export interface SchemeRoutes {
  http: readonly number[] | 'direct';
  https: readonly number[] | 'direct';
  /** Targets of any other (or unknown) scheme. */
  other: readonly number[] | 'direct';
}

/** Chain constructor option, set by Chain.fromEnv only. */
export const SCHEME_ROUTES = Symbol('sockschain.schemeRoutes');

/** Chain constructor option, set by Chain.fromPac only: the PAC file picks hops per target. */
export const PAC_ROUTER = Symbol('sockschain.pacRouter');

/**
 * The hops for a target: by `protocol` ('https:', 'ws:'...) when known, else guessed from a
 * URL target or the port (443 https, 80 http).
 */
export function routeFor(
  routes: SchemeRoutes | undefined,
  all: readonly number[],
  protocol: string | undefined,
  target: Target | undefined,
): readonly number[] | 'direct' {
  if (!routes) return all;
  const scheme =
    protocol?.toLowerCase().replace(/:$/, '') ??
    (target?.port === 443 ? 'https' : target?.port === 80 ? 'http' : undefined);
  if (scheme === 'https' || scheme === 'wss') return routes.https;
  if (scheme === 'http' || scheme === 'ws') return routes.http;
  return routes.other;
}

/** The scheme of a URL target (`'https://host/'`), if the target is one. */
export function urlProtocol(target: unknown): string | undefined {
  if (typeof target !== 'string' || !/^[a-z][a-z0-9+.-]*:\/\//i.test(target.trim())) return undefined;
  return `${target.trim().split(':')[0]?.toLowerCase()}:`;
}
