/**
 * SOCKS handshakes as straight-line code: write, read exactly N bytes, check. The same code
 * serves sequential setup (each message written after the previous reply) and pipelined
 * setup (every message written up front by `pipelinedRequests`, then only the reads here).
 */
import type { Duplex } from 'node:stream';
import { readExactly } from '../../io/read-exactly.js';
import { StreamEndedError } from '../../io/read-until.js';
import { type HopContext, hopError, reachError } from '../context.js';
import { mapSocks4Reply, mapSocks5Reply, notSocks } from './errors.js';
import { hookCredentials, socksHook } from './hook-credentials.js';
import {
  addressLength,
  connectRequest,
  EncodeError,
  greeting,
  SOCKS4,
  SOCKS5,
  socks4Request,
  userPassRequest,
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
    const parts = [greeting([hasCredentials(ctx) ? SOCKS5.userPass : SOCKS5.noAuth])];
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
  let awaitingDest = true;
  ctx.progress(() => ({ phase: 'handshake', awaitingDest }));
  if (!sent) {
    socket.write(
      encode(ctx, () => socks4Request(ctx.dest, ctx.hop.username ?? '', ctx.hop.protocol === 'socks4a')),
    );
  }
  // The reply's version byte is 0 by the spec; some servers echo 4.
  const reply = await readReply(socket, ctx, 8, [0x00, 0x04], () => {
    awaitingDest = false;
  });
  if (reply[1] !== SOCKS4.granted) throw mapSocks4Reply(ctx, reply[1] ?? 0, hasCredentials(ctx));
}

async function socks5(socket: Duplex, ctx: HopContext, sent: boolean): Promise<void> {
  const credentials = hasCredentials(ctx);
  let phase: 'handshake' | 'auth' = 'handshake';
  let awaitingDest = false;
  ctx.progress(() => ({ phase, awaitingDest }));

  // With credentials, sequential setup offers both methods, as curl does: a proxy that
  // needs none may pick "no auth". Pipelined setup offered exactly one.
  // Without credentials, an onProxyAuth hook may supply them: offer user/password too.
  const hook = !credentials && !sent && socksHook(ctx) !== undefined;
  if (!sent) socket.write(greeting(credentials || hook ? [SOCKS5.noAuth, SOCKS5.userPass] : [SOCKS5.noAuth]));
  const choice = await readReply(socket, ctx, 2, [SOCKS5.version]);
  const method = choice[1];
  if (method === SOCKS5.noAcceptable) {
    throw credentials
      ? hopError(ctx, 'AUTH_FAILED', 'auth', 'accepts none of the offered methods (no-auth, user/password)', {
          reply: 'SOCKS5 method 0xFF',
        })
      : hopError(ctx, 'AUTH_REQUIRED', 'auth', 'proxy wants credentials (SOCKS5 method 0xFF for no-auth)', {
          reply: 'SOCKS5 method 0xFF',
        });
  }
  if (method === SOCKS5.userPass && (credentials || hook)) {
    phase = 'auth';
    const given = credentials
      ? { username: ctx.hop.username ?? '', password: ctx.hop.password ?? '' }
      : await hookCredentials(ctx);
    if (!sent) socket.write(encode(ctx, () => userPassRequest(given.username, given.password)));
    const status = await read(socket, ctx, 2);
    if (status[1] !== 0x00) {
      throw hopError(ctx, 'AUTH_FAILED', 'auth', 'username/password rejected (RFC 1929 status != 0)', {
        reply: `SOCKS5 auth status 0x${(status[1] ?? 0).toString(16).padStart(2, '0')}`,
      });
    }
  } else if (method !== SOCKS5.noAuth || (sent && credentials)) {
    // A method we did not offer, or (pipelined) not the one we offered: our next bytes were
    // not what the proxy expects, so the handshake cannot go on.
    throw hopError(
      ctx,
      'PROTOCOL_ERROR',
      'handshake',
      `chose SOCKS5 method 0x${(method ?? 0).toString(16)} we did not offer`,
    );
  }

  phase = 'handshake';
  awaitingDest = true;
  if (!sent) socket.write(encode(ctx, () => connectRequest(ctx.dest)));
  const head = await readReply(socket, ctx, 4, [SOCKS5.version], () => {
    awaitingDest = false;
  });
  if (head[1] !== 0x00) throw mapSocks5Reply(ctx, head[1] ?? 0);
  const atyp = head[3] ?? 0;
  const length = atyp === 0x03 ? ((await read(socket, ctx, 1))[0] ?? 0) : addressLength(atyp);
  if (length < 0) {
    throw hopError(
      ctx,
      'PROTOCOL_ERROR',
      'handshake',
      `reply with unknown address type 0x${atyp.toString(16)}`,
    );
  }
  await read(socket, ctx, length + 2);
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
  ctx: HopContext,
  n: number,
  versions: number[],
  started?: () => void,
): Promise<Buffer> {
  const first = await read(socket, ctx, 1, started ? closedWithoutReply : undefined);
  started?.();
  if (!versions.includes(first[0] ?? -1)) throw notSocks(ctx, Buffer.concat([first, buffered(socket)]));
  return Buffer.concat([first, await read(socket, ctx, n - 1)]);
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
    'unreachable',
    'closed without a reply',
    'the proxy closed the connection without a SOCKS reply (ssh -D does this when the destination refuses or is not permitted)',
  );
}

async function read(
  socket: Duplex,
  ctx: HopContext,
  n: number,
  onClose?: (ctx: HopContext) => Error,
): Promise<Buffer> {
  try {
    return await readExactly(socket, n);
  } catch (error) {
    if (onClose && error instanceof StreamEndedError && error.received.length === 0) throw onClose(ctx);
    if (error instanceof StreamEndedError) {
      throw hopError(ctx, 'PROTOCOL_ERROR', 'handshake', 'closed the connection during the SOCKS handshake', {
        cause: error,
      });
    }
    throw hopError(ctx, 'PROTOCOL_ERROR', 'handshake', 'connection failed during the SOCKS handshake', {
      cause: error,
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
