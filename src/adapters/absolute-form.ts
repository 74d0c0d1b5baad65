/**
 * Absolute-form requests (RFC 9112 section 3.2.2): a plain http:// request is sent to the
 * last hop, an HTTP proxy, as `GET http://host:port/path` with that hop's Proxy-Authorization,
 * and the proxy forwards it. Only that hop sees the credentials; it strips them before the
 * origin (RFC 9110 section 11.7.1 makes Proxy-Authorization hop-by-hop).
 */
import type http from 'node:http';
import type { Dispatcher } from 'undici';
import { formatHostPort } from '../hop.js';

/** `http://host[:port]` for a target, the default port left out as browsers and curl do. */
export function httpOrigin(host: string, port: number | string | undefined): string {
  const number = Number(port) || 80;
  if (number !== 80) return `http://${formatHostPort(host, number)}`;
  return `http://${host.includes(':') ? `[${host}]` : host}`;
}

/** Requests that change protocol (WebSocket) need a raw tunnel: proxies do not forward upgrades. */
export function isUpgrade(req: http.ClientRequest): boolean {
  return req.getHeader('upgrade') !== undefined;
}

/**
 * Points a node:http request, before its head is rendered, at the absolute URL (so what the
 * request shows matches what is sent). The head itself is completed at the socket
 * (head-writer.ts): node:http may have rendered it already, and credentials stay out of it.
 */
export function rewriteClientRequest(req: http.ClientRequest, origin: string): void {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(req.path)) req.path = `${origin}${req.path}`;
}

/** The dispatch options of an undici request, rewritten for the forwarding proxy. */
export function rewriteDispatch(
  opts: Dispatcher.DispatchOptions,
  authorization: string | undefined,
  origin = new URL(String(opts.origin)),
): Dispatcher.DispatchOptions {
  const headers = flatHeaders(opts.headers);
  const out: string[] = [];
  let hasHost = false;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i] as string;
    const lower = name.toLowerCase();
    if (lower === 'host') hasHost = true;
    // Only this chain's credentials go to the proxy.
    if (lower === 'proxy-authorization' && authorization !== undefined) continue;
    out.push(name, headers[i + 1] as string);
  }
  // The Host header names the target; undici would otherwise name the proxy.
  if (!hasHost) out.push('host', origin.host);
  if (authorization !== undefined) out.push('proxy-authorization', authorization);
  return { ...opts, path: `${origin.origin}${opts.path}`, headers: out };
}

/** Every header form undici accepts, as a flat [name, value, ...] list. */
export function flatHeaders(headers: Dispatcher.DispatchOptions['headers']): string[] {
  const out: string[] = [];
  const add = (name: unknown, value: unknown) => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) for (const item of value) out.push(String(name), String(item));
    else out.push(String(name), String(value));
  };
  if (headers == null) return out;
  if (Array.isArray(headers)) {
    // undici's flat form: [name, value, name, value]; fetch uses it.
    for (let i = 0; i < headers.length; i += 2) add(headers[i], headers[i + 1]);
    return out;
  }
  if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [name, value] of headers as Iterable<[string, unknown]>) add(name, value);
    return out;
  }
  for (const [name, value] of Object.entries(headers)) add(name, value);
  return out;
}
