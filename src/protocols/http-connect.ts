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
import { Exchange, type HopContext, type ReachFailure, reachError, readFailure } from './context.js';
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
  const at = new Exchange(ctx, 'request');
  at.phase = credentials ? 'auth' : 'handshake';
  at.awaitingDest = true;
  // Pipelined: the request went out already; first() again only brings `auth` to what it carried.
  const first = auth.first();
  if (!sent) socket.write(connectRequest(authority, authorization(first)));
  let head = await readFinalHead(socket, at);
  // A challenge is answered on the same connection (NTLM needs it: it authenticates the
  // connection), a few rounds at most. Not when pipelined: the bytes after our CONNECT are
  // already on their way to the proxy.
  for (let round = 0; !sent && round < MAX_AUTH_ROUNDS; round++) {
    const answer = await auth.answer(head);
    if (answer === undefined) break;
    await keepAfterChallenge(socket, head, ctx);
    at.enter('auth', 'auth');
    socket.write(connectRequest(authority, answer));
    head = await readFinalHead(socket, at).catch((error: unknown) => {
      throw socket.readableEnded || socket.destroyed ? closedOnChallenge(ctx) : error;
    });
  }
  if (sent) auth.rememberChallenge(head);
  if (head.status === 407 || head.status === 401) throw auth.failure(head);
  checkStatus(head, at);
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

async function readFinalHead(socket: Duplex, at: Exchange) {
  for (let i = 0; ; i++) {
    const head = await readReplyHead(socket, at);
    if (head.status >= 200 || head.status === 101 || i >= MAX_INTERIM) return head;
  }
}

async function readReplyHead(socket: Duplex, at: Exchange): Promise<ResponseHead> {
  let raw: Buffer;
  const plausible = (start: Buffer) => {
    at.awaitingDest = false;
    at.replyStarted = true;
    return startsLikeHttp(start);
  };
  try {
    raw = await readUntil(socket, HEAD_END, MAX_REPLY_HEAD, plausible);
    // A whole head in one chunk never goes through `plausible`.
    at.replyStarted = true;
    at.awaitingDest = false;
  } catch (error) {
    if (error instanceof UnexpectedReplyError) {
      throw at.error('PROTOCOL_ERROR', 'handshake', `not an HTTP reply (${describeBytes(error.received)})`, {
        reason: 'wrong-protocol',
      });
    }
    if (error instanceof ReplyTooLargeError) {
      throw at.error('PROTOCOL_ERROR', 'handshake', `reply head larger than ${MAX_REPLY_HEAD} bytes`, {
        reason: 'malformed',
      });
    }
    if (error instanceof StreamEndedError) {
      const detail =
        error.received.length === 0
          ? 'closed the connection without answering CONNECT: is it really an HTTP proxy, or does a firewall cut it?'
          : `closed the connection in the middle of its reply (${describeBytes(error.received)})`;
      throw at.error('PROTOCOL_ERROR', 'handshake', detail, { cause: error, reason: 'closed' });
    }
    const reason = readFailure(error);
    const detail =
      reason === 'reset'
        ? `connection reset ${at.replyStarted ? 'during the reply to' : 'before any reply to'} CONNECT`
        : 'connection failed during CONNECT';
    throw at.error('PROTOCOL_ERROR', 'handshake', detail, { cause: error, reason });
  }
  try {
    return parseResponseHead(raw);
  } catch (error) {
    const message = error instanceof MalformedResponseError ? error.message : String(error);
    throw at.error('PROTOCOL_ERROR', 'handshake', `not an HTTP reply (${describeBytes(raw)}): ${message}`, {
      reason: 'malformed',
    });
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
export function checkStatus(head: ResponseHead, at: Exchange): void {
  const { status } = head;
  const { ctx } = at;
  if (status >= 200 && status < 300) return;
  const reply = `HTTP ${status}${head.reason ? ` ${head.reason}` : ''}`;
  at.stage = 'reply';
  if (status === 403 || status === 405) {
    throw at.error(
      'PROXY_DENIED',
      'handshake',
      `the proxy's rules deny CONNECT to ${formatTarget(ctx.dest)} (${reply})`,
      { reply, reason: status === 405 ? 'method-not-allowed' : undefined },
    );
  }
  if (status >= 500) {
    const failure = squidFailure(head.headers.get('x-squid-error')?.[0] ?? '', status);
    throw reachError(ctx, failure, reply, reply);
  }
  throw at.error('PROTOCOL_ERROR', 'handshake', `unexpected reply to CONNECT: ${reply}`, { reply });
}

/**
 * What a 5xx says about the destination. squid names its error and the errno of a failed
 * connect in `X-Squid-Error` (`ERR_CONNECT_FAIL 111`): a protocol field, read as one.
 */
function squidFailure(header: string, status: number): ReachFailure {
  const [name = '', errno = ''] = header.trim().toUpperCase().split(/\s+/);
  if (name === 'ERR_DNS_FAIL') return 'dns';
  if (status === 504 || name.includes('TIMEOUT') || errno === '110') return 'timeout';
  if (errno === '113' || errno === '101' || errno === '13' || errno === '1') return 'unreachable';
  if (name !== '') return 'refused';
  return 'failed';
}

/** Names what a wrong-protocol reply looks like, so the message can say what to fix. */
export function describeBytes(data: Buffer): string {
  const first = data[0];
  if (first === 0x05 || first === 0x04 || first === 0x00)
    return 'looks like a SOCKS server: use socks5:// or socks4://';
  if (first === 0x15 || first === 0x16) return 'looks like a TLS server: use https://';
  return `got "${printable(data)}"`;
}
