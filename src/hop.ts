/**
 * Hop URLs: parsing, defaults and redaction. A parsed `Hop` keeps its password in a
 * non-enumerable property, so that JSON, `util.inspect` and spreading never show it.
 */
import { inspect } from 'node:util';
import type { ChainError } from './errors.js';
import { type HopAuth, type HopAuthSpec, parseHopAuth } from './hop-auth.js';
import { fits, invalid, PORT } from './validate.js';

export type HopProtocol = 'http' | 'https' | 'socks4' | 'socks4a' | 'socks5' | 'socks5h';

/** TLS settings for an https:// hop (the connection to the proxy itself). */
export interface HopTlsOptions {
  ca?: string | Buffer | Array<string | Buffer>;
  rejectUnauthorized?: boolean;
  /** SNI and certificate name to expect; defaults to the hop's host name. */
  servername?: string;
  cert?: string | Buffer;
  key?: string | Buffer;
}

/** A hop given as an object instead of a URL. */
export interface HopSpec extends HopTlsOptions {
  protocol: HopProtocol | 'socks';
  host: string;
  port?: number;
  username?: string;
  password?: string;
  /** SOCKS4 user id (the URL form is `socks4://userid@host:port`). */
  userId?: string;
  /**
   * Whether this hop takes pipelined handshakes (bytes that arrive before its tunnel is up):
   * `true` or `false` override the chain's `pipeline` option for this hop.
   */
  pipeline?: boolean;
  /**
   * https:// hops only: offer HTTP/2 by ALPN and, when the proxy picks it, open each tunnel as
   * one CONNECT stream over a connection shared per chain (docs/hops.md). `false` (default),
   * `'auto'` (h2 when the proxy picks it, else HTTP/1.1) or `true` (h2 or fail).
   */
  http2?: boolean | 'auto';
  /** HTTP/HTTPS hops: scheme, NTLM domain, preemptive Basic, the auth hook (docs/hops.md). */
  auth?: HopAuthSpec;
}

export type HopInput = string | HopSpec | Hop;

export interface Hop {
  readonly protocol: HopProtocol;
  readonly host: string;
  readonly port: number;
  readonly username: string | undefined;
  /** Non-enumerable. */
  readonly password: string | undefined;
  readonly tls: HopTlsOptions;
  /** The hop as a URL with the password replaced by `***`: safe to print. */
  readonly url: string;
  /** Per-hop pipelining override (see HopSpec.pipeline). */
  readonly pipeline: boolean | undefined;
  /** HTTP/2 to this https:// hop (see HopSpec.http2); undefined = false. */
  readonly http2: boolean | 'auto' | undefined;
  /** How an HTTP/HTTPS hop authenticates (defaults filled in). */
  readonly auth: HopAuth;
}

const SCHEMES: Record<string, HopProtocol> = {
  http: 'http',
  https: 'https',
  socks4: 'socks4',
  socks4a: 'socks4a',
  socks5: 'socks5',
  socks5h: 'socks5h',
  socks: 'socks5h',
};

const DEFAULT_PORTS: Record<HopProtocol, number> = {
  http: 80,
  https: 443,
  socks4: 1080,
  socks4a: 1080,
  socks5: 1080,
  socks5h: 1080,
};

const HOP_BRAND = Symbol('sockschain.hop');

/** Replaces the password part of anything URL-shaped with `***`, even when it does not parse. */
export function redactUrl(text: string): string {
  // Malformed input too: everything between the user name's colon and the LAST '@' may be a
  // password (passwords hold '/', spaces and '@'); over-redacting a path is the safe side.
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text);
  const start = scheme ? scheme[0].length : 0;
  const at = text.lastIndexOf('@');
  if (at < start) return text;
  const colon = text.indexOf(':', start);
  if (colon === -1 || colon > at) return text;
  return `${text.slice(0, colon)}:***${text.slice(at)}`;
}

/** `host:port`, with IPv6 literals in brackets. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Strips the brackets of an IPv6 literal. */
export function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** Splits `'url, url url'` into its URLs. */
export function splitHopList(list: string): string[] {
  return list.split(/[\s,]+/).filter((part) => part.length > 0);
}

export function parseHops(input: string | readonly HopInput[]): Hop[] {
  const items = typeof input === 'string' ? splitHopList(input) : input;
  if (!Array.isArray(items)) throw configError('hops must be a string or an array', -1);
  return items.map((item, index) => parseHop(item, index));
}

/** `name`: how messages call the hop (`hop 2`, or `the proxy URL` for a single one from a variable). */
export function parseHop(input: HopInput, index = 0, name = `hop ${index + 1}`): Hop {
  if (isHop(input)) return input;
  if (typeof input === 'string') return parseHopUrl(input, index, name);
  if (input && typeof input === 'object') return fromSpec(input, index, name);
  throw configError(`${name} must be a URL string or a hop object`, index);
}

function isHop(value: unknown): value is Hop {
  return typeof value === 'object' && value !== null && HOP_BRAND in value;
}

/**
 * The redacted URL hides the password, so a password with a reserved character (/ ? # end
 * the authority early) looks fine in the message: say what to do about it.
 */
function userinfoHint(url: string): string {
  const rest = url.slice(url.indexOf('://') + 3);
  if (!rest.includes('@')) return '';
  return '. A user name or password with reserved characters must be percent-encoded: @ as %40, : as %3A, / as %2F, ? as %3F, # as %23, % as %25 (encodeURIComponent does it)';
}

function parseHopUrl(raw: string, index: number, name: string): Hop {
  const text = raw.trim();
  const safe = redactUrl(text);
  // curl's rule: a proxy without a scheme is an HTTP proxy.
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw configError(`${name} is not a valid URL: ${safe}${userinfoHint(withScheme)}`, index, safe);
  }
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  const protocol = Object.hasOwn(SCHEMES, scheme) ? SCHEMES[scheme] : undefined;
  if (!protocol) {
    throw configError(
      `${name} has unsupported scheme "${scheme}:" (use http, https, socks4, socks4a, socks5, socks5h): ${safe}`,
      index,
      safe,
    );
  }
  if ((url.pathname !== '' && url.pathname !== '/') || url.search || url.hash) {
    // An '@' after the authority: a password with / ? or # that ended the authority early.
    const hint = `${url.pathname}${url.search}${url.hash}`.includes('@') ? userinfoHint(withScheme) : '';
    throw configError(`${name} must not have a path, query or fragment: ${safe}${hint}`, index, safe);
  }
  return fromSpec(
    {
      protocol,
      host: unbracket(url.hostname),
      port: url.port === '' ? undefined : Number(url.port),
      username: url.username === '' ? undefined : decode(url.username, index, safe, name),
      password: url.password === '' ? undefined : decode(url.password, index, safe, name),
    },
    index,
    name,
  );
}

function decode(part: string, index: number, safe: string, name: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw configError(`${name} has a badly percent-encoded user or password: ${safe}`, index, safe);
  }
}

function fromSpec(spec: HopSpec, index: number, hopName: string): Hop {
  if (spec.auth?.password !== undefined) {
    // Checked before anything could echo it; parseHopAuth checks the rest.
    if (typeof spec.auth.password !== 'string')
      throw configError(`${hopName}: auth.password must be a string`, index);
  }
  for (const key of ['protocol', 'host', 'username', 'password', 'userId', 'servername'] as const) {
    const value = spec[key];
    if (value !== undefined && typeof value !== 'string') {
      throw configError(`${hopName}: ${key} must be a string`, index);
    }
  }
  if (spec.port !== undefined && typeof spec.port !== 'number') {
    throw configError(`${hopName}: port must be a number`, index);
  }
  const name = String(spec.protocol).toLowerCase();
  const protocol = Object.hasOwn(SCHEMES, name) ? SCHEMES[name] : undefined;
  const host = typeof spec.host === 'string' ? unbracket(spec.host.trim()) : '';
  const port = spec.port ?? (protocol ? DEFAULT_PORTS[protocol] : 0);
  const username = spec.auth?.user ?? spec.username ?? spec.userId;
  const password = spec.auth?.password ?? spec.password;
  const url = protocol
    ? buildUrl(protocol, host, port, username, password)
    : `${String(spec.protocol)}://${host}`;
  if (!protocol) throw configError(`${hopName} has unsupported protocol "${spec.protocol}"`, index, url);
  if (host === '' || /[\s/?#@]/.test(host))
    throw configError(`${hopName} has no valid host: ${url}`, index, url);
  if (!fits(port, PORT)) {
    throw configError(`${hopName} has an invalid port (1-65535): ${url}`, index, url);
  }
  if ((protocol === 'socks4' || protocol === 'socks4a') && password !== undefined) {
    throw configError(
      `${hopName} is SOCKS4, which has a user id but no password; use socks5:// for user/password: ${url}`,
      index,
      url,
    );
  }
  const tls: HopTlsOptions = {};
  for (const key of ['ca', 'rejectUnauthorized', 'servername', 'cert', 'key'] as const) {
    if (spec[key] !== undefined) Object.assign(tls, { [key]: spec[key] });
  }
  if (spec.pipeline !== undefined && typeof spec.pipeline !== 'boolean') {
    throw configError(`${hopName} has an invalid pipeline setting (true or false): ${url}`, index, url);
  }
  if (spec.http2 !== undefined && spec.http2 !== true && spec.http2 !== false && spec.http2 !== 'auto') {
    throw configError(`${hopName} has an invalid http2 setting (true, false or 'auto'): ${url}`, index, url);
  }
  if (spec.http2 && protocol !== 'https') {
    throw configError(`${hopName}: http2 applies to https:// hops only: ${url}`, index, url);
  }
  const auth = parseHopAuth(spec.auth, username, index);
  const hop = {
    protocol,
    host,
    port,
    username,
    tls,
    url,
    pipeline: spec.pipeline,
    http2: spec.http2,
    auth,
  } as Hop;
  Object.defineProperty(hop, 'password', { value: password, enumerable: false });
  Object.defineProperty(hop, HOP_BRAND, { value: true, enumerable: false });
  Object.defineProperty(hop, inspect.custom, { value: () => `Hop <${url}>`, enumerable: false });
  Object.defineProperty(hop, 'toString', { value: () => url, enumerable: false });
  return Object.freeze(hop);
}

function buildUrl(
  protocol: HopProtocol,
  host: string,
  port: number,
  user?: string,
  password?: string,
): string {
  const auth =
    user === undefined ? '' : `${encodeURIComponent(user)}${password === undefined ? '' : ':***'}@`;
  return `${protocol}://${auth}${formatHostPort(host, port)}`;
}

function configError(message: string, index: number, hop?: string): ChainError {
  return invalid(message, { hopIndex: index, hop });
}
