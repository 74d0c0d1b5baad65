/**
 * A tunnel through an https:// hop over HTTP/2: one CONNECT stream (RFC 9113 §8.5) on a
 * connection from h2-sessions.ts. The stream is the Duplex the next hop's handshake (or the
 * application) runs over. Its reply is judged as an HTTP/1.1 CONNECT reply is (checkStatus);
 * a stream the proxy resets is a typed ChainError naming the hop:
 *
 * - RST_STREAM CONNECT_ERROR (the proxy's connection onward failed, §8.5): HOP_UNREACHABLE
 *   naming the next hop, or TARGET_UNREACHABLE at the last hop;
 * - REFUSED_STREAM, or a stream past the proxy's GOAWAY: not processed, so tried once more
 *   on another connection; then HOP_UNREACHABLE naming the hop;
 * - the connection lost before the reply: HOP_UNREACHABLE naming the hop;
 * - any other reset: PROTOCOL_ERROR naming the hop, with the code in `reply`.
 */
import http2 from 'node:http2';
import type net from 'node:net';
import type tls from 'node:tls';
import type { ChainError } from '../errors.js';
import type { HopTlsOptions } from '../hop.js';
import { formatTarget } from '../target.js';
import { ProxyAuth } from './auth/proxy-auth.js';
import { Exchange, type HopContext, hopError, reachError } from './context.js';
import type { Acquired, H2Session, H2Sessions } from './h2-sessions.js';
import { checkStatus } from './http-connect.js';
import { dialTcp } from './tcp.js';
import { wrapTls } from './tls.js';

const { NGHTTP2_CONNECT_ERROR, NGHTTP2_REFUSED_STREAM, NGHTTP2_CANCEL } = http2.constants;

export type H2Tunnel = { kind: 'h2'; stream: http2.ClientHttp2Stream } | Exclude<Acquired, { kind: 'h2' }>;

/** Opens the tunnel at hop 1 (`ctx.index` 0) over HTTP/2, or says why the usual path applies. */
export async function h2Tunnel(
  sessions: H2Sessions,
  ctx: HopContext,
  defaults: HopTlsOptions,
): Promise<H2Tunnel> {
  const open = (alpn: string[]) => openTls(ctx, defaults, alpn);
  for (let attempt = 0; ; attempt++) {
    const got = await sessions.acquire(ctx.hop, open, ctx.index);
    if (got.kind !== 'h2') return got;
    const result = await openStream(got.entry, ctx);
    if (result === 'retry') {
      if (attempt === 0) continue;
      throw hopError(
        ctx,
        'HOP_UNREACHABLE',
        'handshake',
        'refused the tunnel stream twice (REFUSED_STREAM or GOAWAY)',
      );
    }
    if (result instanceof Error) throw result;
    return { kind: 'h2', stream: result };
  }
}

/**
 * TCP and TLS to the hop for a new connection. Its sockets are not the attempt's (a shared
 * connection outlives the tunnel that opened it): they are destroyed here on failure or when
 * the hop's time runs out.
 */
async function openTls(ctx: HopContext, defaults: HopTlsOptions, alpn: string[]): Promise<tls.TLSSocket> {
  const own: net.Socket[] = [];
  const keep = (socket: unknown) => own.push(socket as net.Socket);
  const timer = setTimeout(() => {
    for (const socket of own) socket.destroy();
  }, ctx.remainingMs());
  try {
    ctx.progress(() => ({ phase: 'tcp', awaitingDest: false }));
    const tcp = await dialTcp(ctx.hop, ctx.index, keep);
    ctx.progress(() => ({ phase: 'tls', awaitingDest: false }));
    return await wrapTls(tcp, ctx.hop, ctx.index, defaults, keep, ctx.progress, ctx.index + 1, alpn);
  } catch (error) {
    for (const socket of own) socket.destroy();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** One CONNECT stream: the stream on a 2xx, else 'retry' or the ChainError. */
function openStream(
  entry: H2Session,
  ctx: HopContext,
): Promise<http2.ClientHttp2Stream | 'retry' | ChainError> {
  const authority = formatTarget(ctx.dest);
  const auth = new ProxyAuth(ctx, authority);
  const headers: http2.OutgoingHttpHeaders = { ':method': 'CONNECT', ':authority': authority };
  const authorization = auth.first();
  if (authorization !== undefined) headers['proxy-authorization'] = authorization;
  ctx.progress(() => ({ phase: auth.credentials ? 'auth' : 'handshake', awaitingDest: true }));
  let stream: http2.ClientHttp2Stream;
  try {
    stream = entry.session.request(headers, { endStream: false });
  } catch {
    // The session closed or went away between acquire() and now: not processed.
    entry.give(true);
    return Promise.resolve('retry');
  }
  ctx.track(stream);
  const tunnel = asSocket(stream, entry);
  return new Promise((resolve) => {
    const onResponse = (reply: http2.IncomingHttpHeaders) => {
      stream.off('close', onClose);
      const status = Number(reply[':status']);
      if (status >= 200 && status < 300) return resolve(tunnel);
      const values = new Map<string, string[]>();
      for (const [name, value] of Object.entries(reply)) {
        if (!name.startsWith(':') && value !== undefined) values.set(name, [value].flat().map(String));
      }
      try {
        const head = { version: '2', status, reason: '', headers: values };
        // A challenge is not answered here: a stream is not a connection (NTLM's is bound to one).
        if (status === 407 || status === 401) throw auth.failure(head);
        const at = new Exchange(ctx, 'reply');
        at.replyStarted = true;
        checkStatus(head, at);
        resolve(hopError(ctx, 'PROTOCOL_ERROR', 'handshake', `unexpected reply to CONNECT: HTTP ${status}`));
      } catch (error) {
        resolve(error as ChainError);
      }
      stream.close(NGHTTP2_CANCEL);
    };
    const onClose = () => {
      stream.off('response', onResponse);
      resolve(closedBeforeReply(stream, entry, ctx));
    };
    stream.once('response', onResponse);
    stream.once('close', onClose);
  });
}

function closedBeforeReply(
  stream: http2.ClientHttp2Stream,
  entry: H2Session,
  ctx: HopContext,
): 'retry' | ChainError {
  const code = stream.rstCode ?? 0;
  const reply = `RST_STREAM ${codeName(code)}`;
  if (code === NGHTTP2_CONNECT_ERROR) {
    return reachError(ctx, 'unreachable', reply, `the proxy reset the tunnel stream (${reply})`);
  }
  if (code === NGHTTP2_REFUSED_STREAM) return 'retry';
  // A GOAWAY whose last stream id is below ours: the proxy never saw this one.
  if (!entry.usable && !entry.session.destroyed) return 'retry';
  if (entry.session.destroyed || entry.session.closed) return lost(ctx, stream.errored);
  return hopError(ctx, 'PROTOCOL_ERROR', 'handshake', `reset the tunnel stream (${reply})`, {
    reply,
    cause: stream.errored ?? undefined,
  });
}

function lost(ctx: HopContext, cause: unknown): ChainError {
  return hopError(
    ctx,
    'HOP_UNREACHABLE',
    'handshake',
    'the HTTP/2 connection to the proxy was lost before it answered the CONNECT stream',
    { cause },
  );
}

/** RFC 9113 §7 error codes by value (Node's constants table has other names on the same numbers). */
const CODE_NAMES = [
  'NO_ERROR',
  'PROTOCOL_ERROR',
  'INTERNAL_ERROR',
  'FLOW_CONTROL_ERROR',
  'SETTINGS_TIMEOUT',
  'STREAM_CLOSED',
  'FRAME_SIZE_ERROR',
  'REFUSED_STREAM',
  'CANCEL',
  'COMPRESSION_ERROR',
  'CONNECT_ERROR',
  'ENHANCE_YOUR_CALM',
  'INADEQUATE_SECURITY',
  'HTTP_1_1_REQUIRED',
];

function codeName(code: number): string {
  return CODE_NAMES[code] ?? `0x${code.toString(16)}`;
}

/**
 * The stream as adapters use a socket: http.Agent calls setKeepAlive/unref on a pooled
 * socket, undici ref/unref. `unref()` lets the process exit while this tunnel is open (the
 * shared connection stays referenced while any other tunnel on it is); the rest are no-ops.
 * No wrapper stream: these are set on the stream itself, which is the tunnel.
 */
function asSocket(stream: http2.ClientHttp2Stream, entry: H2Session): http2.ClientHttp2Stream {
  let referenced = true;
  const socket = stream as http2.ClientHttp2Stream & Record<string, unknown>;
  socket.setNoDelay = () => socket;
  socket.setKeepAlive = () => socket;
  socket.ref = () => {
    if (!referenced) entry.reference(1);
    referenced = true;
    return socket;
  };
  socket.unref = () => {
    if (referenced) entry.reference(-1);
    referenced = false;
    return socket;
  };
  stream.once('close', () => entry.give(referenced));
  return stream;
}
