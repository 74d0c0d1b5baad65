/**
 * Absolute-form forwarding: one request per tunnel. The request goes to the origin in
 * origin-form over a fresh tunnel with `Connection: close`, without Proxy-Authorization or
 * other hop-by-hop headers; the response comes back the same way. node:http does the
 * framing on both sides (chunked bodies, 100-continue, keep-alive with the client).
 */
import http from 'node:http';
import type net from 'node:net';
import { ChainError } from '../errors.js';
import type { Session } from './session.js';

// RFC 9110 section 7.6.1, plus the proxy-only headers.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-authenticate',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

export function forwardRequest(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  upstream: net.Socket,
  session: Session,
): void {
  const outgoing = http.request({
    method: req.method,
    path: `${url.pathname}${url.search}`,
    headers: [...endToEnd(req.rawHeaders), 'Connection', 'close'],
    setHost: false,
    createConnection: () => upstream,
  });
  const cleanup = () => {
    outgoing.destroy();
    upstream.destroy();
  };
  req.on('data', (chunk: Buffer) => {
    session.bytesUp += chunk.length;
  });
  req.pipe(outgoing);
  outgoing.on('response', (incoming) => {
    res.writeHead(incoming.statusCode ?? 502, incoming.statusMessage, endToEnd(incoming.rawHeaders));
    incoming.on('data', (chunk: Buffer) => {
      session.bytesDown += chunk.length;
    });
    incoming.pipe(res);
    incoming.on('error', () => res.destroy());
  });
  outgoing.on('error', (error: NodeJS.ErrnoException) => {
    if (res.headersSent) return void res.destroy();
    const failure = new ChainError({
      code: 'PROTOCOL_ERROR',
      phase: 'handshake',
      target: session.target,
      message: `the target ${session.target} closed the connection without a complete HTTP response (${error.code ?? error.message})`,
      cause: error,
    });
    session.finish(failure);
    const body = `sockschain: ${failure.code}: ${failure.message}\n`;
    res.shouldKeepAlive = false;
    res.writeHead(502, 'Bad Gateway', {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'X-Sockschain-Error': failure.code,
    });
    res.end(body);
  });
  res.on('close', () => {
    cleanup();
    session.finish('ok');
  });
}

/** rawHeaders without hop-by-hop fields, including those the Connection header names. */
function endToEnd(raw: readonly string[]): string[] {
  const named = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() === 'connection') {
      for (const token of (raw[i + 1] ?? '').split(',')) named.add(token.trim().toLowerCase());
    }
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] ?? '';
    const key = name.toLowerCase();
    if (HOP_BY_HOP.has(key) || named.has(key)) continue;
    out.push(name, raw[i + 1] ?? '');
  }
  return out;
}

/**
 * An Upgrade request (ws:// through the proxy): the head goes to the origin in origin-form,
 * Connection and Upgrade kept (the upgrade needs them), proxy headers dropped; then both
 * ways are joined, whatever the origin answers.
 */
export function forwardUpgrade(
  req: http.IncomingMessage,
  client: net.Socket,
  head: Buffer,
  url: URL,
  upstream: net.Socket,
  session: Session,
): void {
  let out = `${req.method} ${url.pathname}${url.search} HTTP/1.1\r\n`;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] ?? '';
    if (!PROXY_ONLY.has(name.toLowerCase())) out += `${name}: ${req.rawHeaders[i + 1] ?? ''}\r\n`;
  }
  upstream.write(`${out}\r\n`);
  if (head.length > 0) {
    session.bytesUp += head.length;
    upstream.write(head);
  }
  session.relay(client, upstream);
}

const PROXY_ONLY = new Set(['proxy-authorization', 'proxy-connection', 'keep-alive']);
