/**
 * SOCKS handshakes as straight-line code: write, read exactly N bytes, check. The same code
 * serves sequential setup (each message written after the previous reply) and pipelined
 * setup (every message written up front by `pipelinedRequests`, then only the reads here).
 */
import type { Duplex } from 'node:stream';
import { readExactly } from '../../io/read-exactly.js';
import { StreamEndedError } from '../../io/read-until.js';
import { Exchange, type HopContext, hopError, reachError, readFailure } from '../context.js';
import { mapSocks4Reply, mapSocks5Reply, notSocks } from './errors.js';
import { hookCredentials, socksHook } from './hook-credentials.js';
import { connectRequest, greeting, socks4Request, userPassRequest } from './messages.js';
import {
  addressLength,
  EncodeError,
  METHOD,
  SOCKS4,
  SOCKS5_REPLY,
  SOCKS5_VERSION,
  USER_PASS,
} from './wire.js';

export function isSocks4(ctx: HopContext): boolean {
  return ctx.hop.protocol === 'socks4' || ctx.hop.protocol === 'socks4a';
}

function hasCredentials(ctx: HopContext): boolean {
  return ctx.hop.username !== undefined || ctx.hop.password !== undefined;
}

/**
 * Everything a hop needs to hear, for pipelining: SOCKS5 offers exactly one method (the
 * proxy's choice must be predictable), so the credentials can follow without a reply.
 */
export function pipelinedRequests(ctx: HopContext): Buffer {
  return encode(ctx, () => {
    if (isSocks4(ctx)) return socks4Request(ctx.dest, ctx.hop.username ?? '', ctx.hop.protocol === 'socks4a');
    const parts = [greeting([hasCredentials(ctx) ? METHOD.userPass : METHOD.noAuth])];
    if (hasCredentials(ctx)) parts.push(userPassRequest(ctx.hop.username ?? '', ctx.hop.password ?? ''));
    parts.push(connectRequest(ctx.dest));
    return Buffer.concat(parts);
  });
}

/** Runs the handshake; with `sent`, the requests were already written by `pipelinedRequests`. */
export async function socksHandshake(socket: Duplex, ctx: HopContext, sent = false): Promise<void> {
  if (isSocks4(ctx)) return socks4(socket, ctx, sent);
  return socks5(socket, ctx, sent);
}

async function socks4(socket: Duplex, ctx: HopContext, sent: boolean): Promise<void> {
  const at = new Exchange(ctx, 'request');
  at.awaitingDest = true;
  if (!sent) {
    socket.write(
      encode(ctx, () => socks4Request(ctx.dest, ctx.hop.username ?? '', ctx.hop.protocol === 'socks4a')),
    );
  }
  // The reply's version byte is 0 by the spec; some servers echo 4.
  const reply = await readReply(socket, at, 8, [SOCKS4.replyVersion, SOCKS4.version], true);
  if (reply[1] !== SOCKS4.granted) throw mapSocks4Reply(ctx, reply[1] ?? 0, hasCredentials(ctx));
}

async function socks5(socket: Duplex, ctx: HopContext, sent: boolean): Promise<void> {
  const credentials = hasCredentials(ctx);
  const at = new Exchange(ctx, 'greeting');

  // With credentials, sequential setup offers both methods, as curl does: a proxy that
  // needs none may pick "no auth". Pipelined setup offered exactly one.
  // Without credentials, an onProxyAuth hook may supply them: offer user/password too.
  const hook = !credentials && !sent && socksHook(ctx) !== undefined;
  if (!sent) socket.write(greeting(credentials || hook ? [METHOD.noAuth, METHOD.userPass] : [METHOD.noAuth]));
  const choice = await readReply(socket, at, 2, [SOCKS5_VERSION]);
  const method = choice[1];
  if (method === METHOD.noAcceptable) {
    const blamed = { reply: 'SOCKS5 method 0xFF', reason: 'no-acceptable-method' as const };
    throw credentials
      ? at.error(
          'AUTH_FAILED',
          'auth',
          'accepts none of the offered methods (no-auth, user/password)',
          blamed,
        )
      : at.error('AUTH_REQUIRED', 'auth', 'proxy wants credentials (SOCKS5 method 0xFF for no-auth)', blamed);
  }
  if (method === METHOD.userPass && (credentials || hook)) {
    at.enter('auth', 'auth');
    const given = credentials
      ? { username: ctx.hop.username ?? '', password: ctx.hop.password ?? '' }
      : await hookCredentials(ctx);
    if (!sent) socket.write(encode(ctx, () => userPassRequest(given.username, given.password)));
    // RFC 1929 says version 0x01; some servers echo 0x05: any first byte is an answer.
    const status = await readReply(socket, at, 2, undefined);
    if (status[1] !== USER_PASS.success) {
      throw at.error('AUTH_FAILED', 'auth', 'username/password rejected (RFC 1929 status != 0)', {
        reply: `SOCKS5 auth status 0x${(status[1] ?? 0).toString(16).padStart(2, '0')}`,
      });
    }
  } else if (method !== METHOD.noAuth || (sent && credentials)) {
    // A method we did not offer, or (pipelined) not the one we offered: our next bytes were
    // not what the proxy expects, so the handshake cannot go on.
    throw at.error(
      'PROTOCOL_ERROR',
      'handshake',
      `chose SOCKS5 method 0x${(method ?? 0).toString(16)} we did not offer`,
      { reason: 'wrong-protocol' },
    );
  }

  at.enter('request', 'handshake');
  at.awaitingDest = true;
  if (!sent) socket.write(encode(ctx, () => connectRequest(ctx.dest)));
  const head = await readReply(socket, at, 4, [SOCKS5_VERSION], true);
  if (head[1] !== SOCKS5_REPLY.succeeded) throw mapSocks5Reply(ctx, head[1] ?? 0);
  const atyp = head[3] ?? 0;
  const length = await addressLength(atyp, async () => (await read(socket, at, 1))[0] ?? 0);
  if (length === undefined) {
    throw at.error('PROTOCOL_ERROR', 'handshake', `reply with unknown address type 0x${atyp.toString(16)}`, {
      reason: 'malformed',
    });
  }
  await read(socket, at, length + 2);
}

/**
 * A reply of `n` bytes whose first byte must be one of `versions`. The first byte is read on
 * its own: once it is in, the hop has answered (`started`), so a timeout from then on is this
 * hop's stall, not its destination's; a wrong one fails at once, whatever else is on its way;
 * and a reply cut short after a right one is a reply cut short, not another protocol. With
 * `started` (we asked the hop to connect onward), a close before any byte is its answer.
 */
async function readReply(
  socket: Duplex,
  at: Exchange,
  n: number,
  versions: number[] | undefined,
  askedOnward = false,
): Promise<Buffer> {
  const first = await read(socket, at, 1, askedOnward ? closedWithoutReply : undefined);
  at.awaitingDest = false;
  at.replyStarted = true;
  if (versions && !versions.includes(first[0] ?? -1))
    throw notSocks(at, Buffer.concat([first, buffered(socket)]));
  return Buffer.concat([first, await read(socket, at, n - 1)]);
}

/** Whatever already arrived, without waiting: to say what a wrong reply looks like. */
function buffered(socket: Duplex): Buffer {
  return (socket.read() as Buffer | null) ?? Buffer.alloc(0);
}

/**
 * `ssh -D` never sends a SOCKS failure: when sshd refuses the channel or the connect fails,
 * it closes the connection without a byte. After our request to connect onward, that close
 * is the hop's way of saying it could not get there (docs/compatibility.md, Quirks).
 */
function closedWithoutReply(ctx: HopContext): Error {
  return reachError(
    ctx,
    'failed',
    'closed without a reply',
    'the proxy closed the connection without a SOCKS reply (ssh -D does this when the destination refuses or is not permitted)',
    false,
  );
}

async function read(
  socket: Duplex,
  at: Exchange,
  n: number,
  onClose?: (ctx: HopContext) => Error,
): Promise<Buffer> {
  try {
    return await readExactly(socket, n);
  } catch (error) {
    if (onClose && error instanceof StreamEndedError && error.received.length === 0) throw onClose(at.ctx);
    const reason = readFailure(error);
    const how =
      reason === 'closed'
        ? 'closed the connection'
        : reason === 'reset'
          ? 'connection reset'
          : 'connection failed';
    const when = at.replyStarted ? 'in the middle of a reply' : 'before any reply';
    throw at.error('PROTOCOL_ERROR', 'handshake', `${how} during the SOCKS ${at.stage} (${when})`, {
      cause: error,
      reason,
    });
  }
}

function encode(ctx: HopContext, build: () => Buffer): Buffer {
  try {
    return build();
  } catch (error) {
    if (error instanceof EncodeError) throw hopError(ctx, 'INVALID_CONFIG', 'config', error.message);
    throw error;
  }
}
