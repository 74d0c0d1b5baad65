/**
 * How an HTTP/HTTPS hop authenticates: which scheme, whether Basic goes out before the
 * proxy asked for anything, NTLM's domain and workstation, and the `onProxyAuth` hook for
 * what sockschain does not answer by itself. Secrets never live here: the password stays
 * the hop's non-enumerable `password`, and what a hook returns is used for one CONNECT only.
 */
import { invalid } from './validate.js';

/** Schemes sockschain answers by itself. */
export type AuthScheme = 'basic' | 'digest' | 'ntlm';

/** One challenge of a Proxy-Authenticate header (scheme lower-cased, e.g. 'negotiate'). */
export interface ProxyChallenge {
  scheme: string;
  params: Record<string, string>;
  /** The opaque token after the scheme (NTLM's and Negotiate's continuation tokens). */
  token68?: string;
}

/** What `onProxyAuth` is told. Its `hop` is the redacted URL; no password is ever in here. */
export interface ProxyAuthRequest {
  hopIndex: number;
  hop: string;
  /** The proxy's challenges, as parsed from every Proxy-Authenticate header of its 407. */
  challenges: ProxyChallenge[];
  /** 1 on the first call for this CONNECT, then 2, 3… (the proxy refused what came before). */
  attempt: number;
}

/**
 * What `onProxyAuth` may return: headers to send with the next CONNECT on the same
 * connection (e.g. `{ 'Proxy-Authorization': 'Negotiate …' }`), credentials for the
 * schemes sockschain answers itself, or undefined to let the 407 stand.
 */
export type ProxyAuthAnswer =
  | { headers: Record<string, string> }
  | { username: string; password: string; domain?: string; workstation?: string }
  | undefined;

export type ProxyAuthHook = (request: ProxyAuthRequest) => ProxyAuthAnswer | Promise<ProxyAuthAnswer>;

/** The `auth` member of a hop object. */
export interface HopAuthSpec {
  /** 'auto' (default): answer the strongest scheme the proxy offers (Digest, NTLM, Basic). */
  scheme?: 'auto' | AuthScheme;
  /** Overrides the hop's username / password. */
  user?: string;
  password?: string;
  /** NTLM: the account's domain. Default: the part before `\` in the user name, else ''. */
  domain?: string;
  /** NTLM: the workstation name the proxy sees. Default '' (none sent). */
  workstation?: string;
  /**
   * Send Basic credentials with the first CONNECT, before any challenge (curl's way, one
   * round trip less) or only once the proxy's 407 asks for Basic. Default true, except for
   * `DOMAIN\user` names and scheme 'digest' or 'ntlm', where it is false (docs/security.md).
   */
  preemptive?: boolean;
  /** Called on a 407 sockschain cannot answer by itself (docs/hops.md#the-auth-hook). */
  onProxyAuth?: ProxyAuthHook;
}

/** The parsed form on a Hop. */
export interface HopAuth {
  readonly scheme: 'auto' | AuthScheme;
  /** NTLM user without its domain, and the domain. */
  readonly ntlmUser: string;
  readonly domain: string;
  readonly workstation: string;
  readonly preemptive: boolean;
  readonly onProxyAuth: ProxyAuthHook | undefined;
}

const SCHEMES = ['auto', 'basic', 'digest', 'ntlm'] as const;

/** Checks `spec` (hop `index`) and fills in the defaults from the hop's user name. */
export function parseHopAuth(
  spec: HopAuthSpec | undefined,
  username: string | undefined,
  index: number,
): HopAuth {
  const fail = (message: string) => invalid(`hop ${index + 1}: ${message}`, { hopIndex: index });
  const s = spec ?? {};
  if (typeof s !== 'object') throw fail('auth must be an object');
  const scheme = s.scheme ?? 'auto';
  if (!(SCHEMES as readonly string[]).includes(scheme)) {
    const hint = scheme === ('negotiate' as string) ? ' (Negotiate: use onProxyAuth, see docs/hops.md)' : '';
    throw fail(`auth.scheme must be one of ${SCHEMES.join(', ')}${hint}`);
  }
  for (const key of ['user', 'password', 'domain', 'workstation'] as const) {
    if (s[key] !== undefined && typeof s[key] !== 'string') throw fail(`auth.${key} must be a string`);
  }
  if (s.preemptive !== undefined && typeof s.preemptive !== 'boolean')
    throw fail('auth.preemptive must be true or false');
  if (s.onProxyAuth !== undefined && typeof s.onProxyAuth !== 'function')
    throw fail('auth.onProxyAuth must be a function');
  const name = username ?? '';
  const slash = name.indexOf('\\');
  const domainAccount = slash > 0;
  return Object.freeze({
    scheme,
    ntlmUser: s.domain === undefined && domainAccount ? name.slice(slash + 1) : name,
    domain: s.domain ?? (domainAccount ? name.slice(0, slash) : ''),
    workstation: s.workstation ?? '',
    preemptive: s.preemptive ?? (!domainAccount && (scheme === 'auto' || scheme === 'basic')),
    onProxyAuth: s.onProxyAuth,
  });
}
