/**
 * HTTP CONNECT over whatever Duplex the previous hop produced: write the request, read the
 * reply head (capped), check the status. Bytes that follow the reply belong to the
 * application and are pushed back onto the stream by readUntil.
 */
import type { Duplex } from 'node:stream';
import {
  type Finder,
  ReplyTooLargeError,
  readUntil,
  StreamEndedError,
  UnexpectedReplyError,
} from '../io/read-until.js';
import { formatTarget } from '../target.js';
import { closedOnChallenge, keepAfterChallenge } from './auth/connect-auth.js';
import { type AuthHeaders, ProxyAuth } from './auth/proxy-auth.js';
import { type HopContext, hopError, reachError } from './context.js';
import { MalformedResponseError, parseResponseHead, printable, type ResponseHead } from './http-response.js';

/** Real proxies send a few hundred bytes; anything past this is hostile or broken. */
export const MAX_REPLY_HEAD = 16 * 1024;

/** The CONNECT request a hop gets first, for pipelined setup (written before any reply). */
export function httpConnectRequest(ctx: HopContext): string {
  const authority = formatTarget(ctx.dest);
  return connectRequest(authority, authorization(new ProxyAuth(ctx, authority).first()));
}

/** Runs the CONNECT; with `sent`, the request was already written by `httpConnectRequest`. */
export async function httpConnect(socket: Duplex, ctx: HopContext, sent = false): Promise<void> {
  const authority = formatTarget(ctx.dest);
  const auth = new ProxyAuth(ctx, authority);
  const { credentials } = auth;
  // Until the proxy's first reply byte we may be waiting on its connection onward; after
  // it, a stall is the proxy's own.
  const waiting = { answered: false };
  ctx.progress(() => ({ phase: credentials ? 'auth' : 'handshake', awaitingDest: !waiting.answered }));
  // Pipelined: the request went out already; first() again only brings `auth` to what it carried.
  const first = auth.first();
  if (!sent) socket.write(connectRequest(authority, authorization(first)));
  let head = await readFinalHead(socket, ctx, waiting);
  // A challenge is answered on the same connection (NTLM needs it: it authenticates the
  // connection), a few rounds at most. Not when pipelined: the bytes after our CONNECT are
  // already on their way to the proxy.
  for (let round = 0; !sent && round < MAX_AUTH_ROUNDS; round++) {
    const answer = await auth.answer(head);
    if (answer === undefined) break;
    await keepAfterChallenge(socket, head, ctx);
    socket.write(connectRequest(authority, answer));
    head = await readFinalHead(socket, ctx, waiting).catch((error: unknown) => {
      throw socket.readableEnded || socket.destroyed ? closedOnChallenge(ctx) : error;
    });
  }
  if (head.status === 407 || head.status === 401) throw auth.failure(head);
  checkStatus(head, ctx);
}

/** Challenge rounds on one connection: NTLM takes two, a hook's multi-leg scheme a few more. */
const MAX_AUTH_ROUNDS = 6;

function authorization(value: string | undefined): AuthHeaders | undefined {
  return value === undefined ? undefined : { 'Proxy-Authorization': value };
}

function connectRequest(authority: string, headers: AuthHeaders | undefined): string {
  const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`];
  for (const [name, value] of Object.entries(headers ?? {})) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Interim 1xx responses (RFC 9110 15.2) are read and skipped; a few at most. */
const MAX_INTERIM = 8;

async function readFinalHead(socket: Duplex, ctx: HopContext, waiting: { answered: boolean }) {
  for (let i = 0; ; i++) {
    const head = await readReplyHead(socket, ctx, waiting);
    if (head.status >= 200 || head.status === 101 || i >= MAX_INTERIM) return head;
  }
}

async function readReplyHead(
  socket: Duplex,
  ctx: HopContext,
  waiting: { answered: boolean },
): Promise<ResponseHead> {
  let raw: Buffer;
  const plausible = (start: Buffer) => {
    waiting.answered = true;
    return startsLikeHttp(start);
  };
  try {
    raw = await readUntil(socket, HEAD_END, MAX_REPLY_HEAD, plausible);
  } catch (error) {
    if (error instanceof UnexpectedReplyError) {
      throw hopError(
        ctx,
        'PROTOCOL_ERROR',
        'handshake',
        `not an HTTP reply (${describeBytes(error.received)})`,
      );
    }
    if (error instanceof ReplyTooLargeError) {
      throw hopError(ctx, 'PROTOCOL_ERROR', 'handshake', `reply head larger than ${MAX_REPLY_HEAD} bytes`);
    }
    if (error instanceof StreamEndedError) {
      const detail =
        error.received.length === 0
          ? 'closed the connection without answering CONNECT: is it really an HTTP proxy?'
          : `closed the connection in the middle of its reply (${describeBytes(error.received)})`;
      throw hopError(ctx, 'PROTOCOL_ERROR', 'handshake', detail, { cause: error });
    }
    throw hopError(ctx, 'PROTOCOL_ERROR', 'handshake', `connection failed during CONNECT`, { cause: error });
  }
  try {
    return parseResponseHead(raw);
  } catch (error) {
    const message = error instanceof MalformedResponseError ? error.message : String(error);
    throw hopError(
      ctx,
      'PROTOCOL_ERROR',
      'handshake',
      `not an HTTP reply (${describeBytes(raw)}): ${message}`,
    );
  }
}

/** The blank line that ends a head: CRLF CRLF, or bare LF LF, which some proxies send (RFC 9112 2.2). */
const HEAD_END: Finder = {
  end(data, from) {
    for (let at = data.indexOf(0x0a, from); at !== -1; at = data.indexOf(0x0a, at + 1)) {
      if (data[at + 1] === 0x0a) return at + 2;
      if (data[at + 1] === 0x0d && data[at + 2] === 0x0a) return at + 3;
    }
    return -1;
  },
  span: 3,
};

const HTTP_PREFIX = Buffer.from('HTTP/');

/** A reply must begin with `HTTP/`; anything else is another protocol, known from its first bytes. */
function startsLikeHttp(start: Buffer): boolean {
  const n = Math.min(start.length, HTTP_PREFIX.length);
  return start.subarray(0, n).equals(HTTP_PREFIX.subarray(0, n));
}

/** Maps a CONNECT reply's status to the tunnel or a ChainError (HTTP/1.1 here, HTTP/2 in h2-connect.ts). */
export function checkStatus(head: ResponseHead, ctx: HopContext): void {
  const { status } = head;
  if (status >= 200 && status < 300) return;
  const reply = `HTTP ${status}${head.reason ? ` ${head.reason}` : ''}`;
  if (status === 403 || status === 405) {
    throw hopError(
      ctx,
      'PROXY_DENIED',
      'handshake',
      `the proxy's rules deny CONNECT to ${formatTarget(ctx.dest)} (${reply})`,
      { reply },
    );
  }
  if (status >= 500) {
    const squidError = head.headers.get('x-squid-error')?.[0] ?? '';
    if (/ERR_DNS_FAIL/i.test(squidError)) throw reachError(ctx, 'dns', reply, reply);
    if (status === 504 || /TIMEOUT/i.test(squidError)) throw reachError(ctx, 'timeout', reply, reply);
    throw reachError(ctx, squidError ? 'refused' : 'unreachable', reply, reply);
  }
  throw hopError(ctx, 'PROTOCOL_ERROR', 'handshake', `unexpected reply to CONNECT: ${reply}`, { reply });
}

/** Names what a wrong-protocol reply looks like, so the message can say what to fix. */
export function describeBytes(data: Buffer): string {
  const first = data[0];
  if (first === 0x05 || first === 0x04 || first === 0x00)
    return 'looks like a SOCKS server: use socks5:// or socks4://';
  if (first === 0x15 || first === 0x16) return 'looks like a TLS server: use https://';
  return `got "${printable(data)}"`;
}
