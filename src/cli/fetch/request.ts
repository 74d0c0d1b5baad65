/**
 * The request `fetch` sends, from curl-style options: method, headers, body. `-d` works as
 * in curl: several are joined with '&', `@FILE` reads a file and `@-` standard input, and
 * the method becomes POST with a form content type unless told otherwise.
 */
import { readFileSync } from 'node:fs';
import { redactUrl, unbracket } from '../../hop.js';
import type { Target } from '../../target.js';
import { hostHeader, type RequestSpec } from '../http-exchange.js';
import { UsageError } from '../output/io.js';

export interface FetchTarget extends Target {
  scheme: 'http' | 'https';
  /** The URL with any password replaced by ***: safe to print. */
  safeUrl: string;
}

export function parseFetchUrl(text: string | undefined): { target: FetchTarget; url: URL } {
  if (text === undefined)
    throw new UsageError('give the URL to fetch, e.g. sockschain fetch https://example.com/');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`not a valid URL: ${redactUrl(text)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`fetch speaks http:// and https:// only, got ${url.protocol}//`);
  }
  const scheme = url.protocol === 'https:' ? 'https' : 'http';
  const port = url.port === '' ? (scheme === 'https' ? 443 : 80) : Number(url.port);
  const safe = new URL(url.href);
  if (safe.password) safe.password = '***';
  return { target: { host: unbracket(url.hostname), port, scheme, safeUrl: safe.href }, url };
}

export interface RequestOptions {
  method?: string | undefined;
  headers?: string[] | undefined;
  data?: string[] | undefined;
  userAgent: string;
  stdin: () => Buffer;
}

export function buildRequest(url: URL, target: FetchTarget, options: RequestOptions): RequestSpec {
  const headers: Record<string, string> = {
    host: hostHeader(target, target.scheme),
    'user-agent': options.userAgent,
    accept: '*/*',
  };
  if (url.username) {
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }
  let body: Buffer | undefined;
  if (options.data && options.data.length > 0) {
    body = Buffer.from(options.data.map((d) => readData(d, options.stdin)).join('&'));
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  for (const line of options.headers ?? []) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new UsageError(`-H needs "Name: value", got "${line}"`);
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) throw new UsageError(`-H: "${name}" is not a header name`);
    const value = line.slice(colon + 1).trim();
    // curl's convention: "Name:" with nothing after it removes a default header.
    if (value === '') delete headers[name];
    else headers[name] = value;
  }
  if (body) headers['content-length'] = String(body.length);
  const method = (options.method ?? (body ? 'POST' : 'GET')).toUpperCase();
  if (!/^[A-Z]+$/.test(method)) throw new UsageError(`-X: "${options.method}" is not an HTTP method`);
  headers.connection = 'close';
  return { method, path: `${url.pathname || '/'}${url.search}`, headers, body };
}

function readData(value: string, stdin: () => Buffer): string {
  if (!value.startsWith('@')) return value;
  const path = value.slice(1);
  if (path === '-') return stdin().toString('utf8');
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`-d @${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
}

/** Request headers for -v, with credentials masked. */
export function describeHeaders(headers: Record<string, string>): string[] {
  return Object.entries(headers).map(([name, value]) =>
    /^(authorization|proxy-authorization|cookie)$/i.test(name) ? `${name}: ***` : `${name}: ${value}`,
  );
}
