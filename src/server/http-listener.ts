/**
 * The HTTP proxy listener on node:http: CONNECT tunnels, and absolute-form requests
 * (`GET http://host/path`) forwarded to plain-http targets (see http-forward.ts). node:http
 * caps the request head (16 KiB) and times out clients that never finish it. Failures of
 * the chain are answered 502 (504 for timeouts) with a one-line body naming hop and code;
 * 407 is only ever about this listener's own credentials.
 */
import http from 'node:http';
import type net from 'node:net';
import { ChainError } from '../errors.js';
import { parseTarget, type Target } from '../target.js';
import { credentialsMatch, type ListenerAuth } from './auth.js';
import { forwardRequest, forwardUpgrade } from './http-forward.js';
import { describeFailure, httpStatusFor } from './replies.js';
import { closeGently, type ListenerContext, Session } from './session.js';

export const MAX_REQUEST_HEAD = 16 * 1024;

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export const PROXY_AUTHENTICATE = 'Basic realm="sockschain", charset="UTF-8"';

export function createHttpServer(ctx: ListenerContext, admit: (socket: net.Socket) => string | undefined) {
  const server = http.createServer({
    maxHeaderSize: MAX_REQUEST_HEAD,
    headersTimeout: ctx.handshakeTimeoutMs,
    // Forwarded bodies may take long; only the head is timed.
    requestTimeout: 0,
    connectionsCheckingInterval: Math.min(1000, ctx.handshakeTimeoutMs),
    keepAliveTimeout: 5000,
    noDelay: true,
  });
  // Sockets turned away at the door: node:http has already attached its parser to them.
  const refused = new WeakSet<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    const refusal = admit(socket);
    if (refusal === undefined) return;
    refused.add(socket);
    rawReply(socket, 503, `sockschain: ${refusal}`);
  });
  server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    if (!refused.has(socket)) guard(handleConnect(req, socket, head, ctx), socket);
  });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (refused.has(req.socket)) return void req.resume();
    if (ctx.draining) res.shouldKeepAlive = false;
    guard(handleRequest(req, res, ctx), req.socket);
  });
  // ws:// through an HTTP proxy: an absolute-form GET with Upgrade, which becomes a tunnel.
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    if (!refused.has(socket)) guard(handleUpgrade(req, socket, head, ctx), socket);
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: net.Socket) => {
    if (refused.has(socket)) return void socket.destroy();
    const session = new Session(ctx, socket, 'http');
    const status =
      error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    if (error.code === 'ECONNRESET') session.finish('CLIENT_CLOSED');
    else session.finish(status === 408 ? 'CLIENT_TIMEOUT' : 'BAD_REQUEST', `${status} ${REASONS[status]}`);
    if (socket.writable && !socket.writableEnded) rawReply(socket, status, `sockschain: ${REASONS[status]}`);
    else socket.destroy();
  });
  return server;
}

async function handleConnect(
  req: http.IncomingMessage,
  socket: net.Socket,
  head: Buffer,
  ctx: ListenerContext,
) {
  const session = new Session(ctx, socket, 'http-connect');
  const target = authorityTarget(req.url ?? '');
  session.target = req.url;
  if (!authorized(req, ctx.auth)) {
    session.finish('LISTENER_AUTH', proxyAuthDetail(req));
    return rawReply(socket, 407, 'sockschain: proxy authentication required', {
      'Proxy-Authenticate': PROXY_AUTHENTICATE,
    });
  }
  if (!target) {
    session.finish('BAD_REQUEST', 'CONNECT target is not host:port');
    return rawReply(socket, 400, `sockschain: CONNECT needs host:port, got "${req.url}"`);
  }
  let upstream: net.Socket;
  try {
    upstream = await session.open(target, socket, { readAhead: true });
  } catch (error) {
    const failure = error as ChainError;
    session.finish(failure);
    return rawReply(socket, httpStatusFor(failure), describeFailure(failure), failureHeaders(failure));
  }
  socket.write('HTTP/1.1 200 Connection established\r\n\r\n');
  // Bytes the client sent right behind its CONNECT (e.g. a TLS ClientHello) go first.
  if (head.length > 0) {
    session.bytesUp += head.length;
    upstream.write(head);
  }
  session.relay(socket, upstream);
}

async function handleRequest(req: http.IncomingMessage, res: http.ServerResponse, ctx: ListenerContext) {
  const session = new Session(ctx, req.socket, 'http');
  if (!authorized(req, ctx.auth)) {
    session.finish('LISTENER_AUTH', proxyAuthDetail(req));
    return textReply(res, 407, 'sockschain: proxy authentication required', {
      'Proxy-Authenticate': PROXY_AUTHENTICATE,
    });
  }
  const request = absoluteTarget(req.url ?? '');
  if ('error' in request) {
    session.finish('BAD_REQUEST', request.error);
    return textReply(res, 400, `sockschain: ${request.error}`);
  }
  const { url, target } = request;
  let upstream: net.Socket;
  try {
    upstream = await session.open(target, req.socket, { protocol: 'http:' });
  } catch (error) {
    const failure = error as ChainError;
    session.finish(failure);
    return textReply(res, httpStatusFor(failure), describeFailure(failure), failureHeaders(failure));
  }
  forwardRequest(req, res, url, upstream, session);
}

async function handleUpgrade(
  req: http.IncomingMessage,
  socket: net.Socket,
  head: Buffer,
  ctx: ListenerContext,
) {
  const session = new Session(ctx, socket, 'http');
  if (!authorized(req, ctx.auth)) {
    session.finish('LISTENER_AUTH', proxyAuthDetail(req));
    return rawReply(socket, 407, 'sockschain: proxy authentication required', {
      'Proxy-Authenticate': PROXY_AUTHENTICATE,
    });
  }
  const request = absoluteTarget(req.url ?? '');
  if ('error' in request) {
    session.finish('BAD_REQUEST', request.error);
    return rawReply(socket, 400, `sockschain: ${request.error}`);
  }
  let upstream: net.Socket;
  try {
    upstream = await session.open(request.target, socket, { readAhead: true, protocol: 'http:' });
  } catch (error) {
    const failure = error as ChainError;
    session.finish(failure);
    return rawReply(socket, httpStatusFor(failure), describeFailure(failure), failureHeaders(failure));
  }
  forwardUpgrade(req, socket, head, request.url, upstream, session);
}

/** An absolute-form request target (`http://host[:port]/path`), or why it is not one. */
function absoluteTarget(raw: string): { url: URL; target: Target } | { error: string } {
  const url = /^(http|ws):\/\//i.test(raw) && URL.canParse(raw) ? new URL(raw) : undefined;
  if (!url) {
    return {
      error: /^(https|wss):/i.test(raw)
        ? 'https:// URLs go through CONNECT (clients do that by themselves)'
        : `this is a proxy: send absolute-form requests (GET http://host/path) or CONNECT, not "${raw}"`,
    };
  }
  try {
    return { url, target: parseTarget({ host: url.hostname, port: url.port === '' ? 80 : url.port }) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** A handler's failure is a bug, not the client's: close that one connection, never the server. */
function guard(work: Promise<unknown>, socket: net.Socket): void {
  work.catch((error: unknown) => {
    socket.destroy();
    process.emitWarning(
      `sockschain serve: internal error: ${error instanceof Error ? error.message : error}`,
    );
  });
}

/** `host:port` or `[v6]:port`, as CONNECT must carry; undefined otherwise. */
function authorityTarget(authority: string): Target | undefined {
  if (!/^(?:\[[0-9a-f:.]+\]|[^\s:/[\]@]+):\d{1,5}$/i.test(authority)) return undefined;
  try {
    return parseTarget(authority);
  } catch (error) {
    if (error instanceof ChainError) return undefined;
    throw error;
  }
}

function authorized(req: http.IncomingMessage, auth: ListenerAuth | undefined): boolean {
  if (!auth) return true;
  const match = /^\s*basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.headers['proxy-authorization'] ?? '');
  if (!match) return false;
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return false;
  return credentialsMatch(auth, decoded.slice(0, colon), decoded.slice(colon + 1));
}

function proxyAuthDetail(req: http.IncomingMessage): string {
  return req.headers['proxy-authorization'] ? 'wrong user name or password' : 'no Proxy-Authorization';
}

function failureHeaders(error: ChainError): Record<string, string> {
  const headers: Record<string, string> = { 'X-Sockschain-Error': error.code };
  if (error.hopIndex >= 0) headers['X-Sockschain-Hop'] = String(error.hopIndex + 1);
  return headers;
}

/** A complete response on a raw socket (CONNECT, refused connections), then close. */
function rawReply(socket: net.Socket, status: number, body: string, headers: Record<string, string> = {}) {
  const text = `${body}\n`;
  let out = `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\n`;
  for (const [name, value] of Object.entries(headers)) out += `${name}: ${value}\r\n`;
  out += `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\n`;
  out += `Connection: close\r\n\r\n${text}`;
  closeGently(socket, out);
}

function textReply(
  res: http.ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
) {
  const text = `${body}\n`;
  res.shouldKeepAlive = false;
  res.writeHead(status, REASONS[status], {
    ...headers,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
  // A request body we will not read must not be taken for the next request.
  res.req.resume();
}
