/**
 * Keeping the connection over a 407 so the next CONNECT (Digest, NTLM, a hook's header) can
 * follow on it; when the proxy will not keep it, the error says so (closedOnChallenge) and
 * the chain opens the tunnel once more. What a chain remembers of challenges is in
 * memory.ts (per chain); the choice of scheme is proxy-auth.ts's.
 */
import type { Duplex } from 'node:stream';
import type { ChainError } from '../../errors.js';
import { type HopContext, hopError } from '../context.js';
import type { ResponseHead } from '../http-response.js';

/** The largest 407 body we read through to keep the connection; bigger ones cost a new connection. */
const MAX_CHALLENGE_BODY = 64 * 1024;

/**
 * Reads the 407's body through so the connection can carry the next CONNECT. Throws an
 * AUTH_REQUIRED with `closedOnChallenge` when the proxy will not keep the connection.
 */
export async function keepAfterChallenge(socket: Duplex, head: ResponseHead, ctx: HopContext): Promise<void> {
  const header = (name: string) => (head.headers.get(name) ?? []).join(',').toLowerCase();
  const length = Number(head.headers.get('content-length')?.[0] ?? Number.NaN);
  const keeps =
    head.version === '1.1' &&
    !/\bclose\b/.test(`${header('connection')},${header('proxy-connection')}`) &&
    !head.headers.has('transfer-encoding') &&
    Number.isInteger(length) &&
    length >= 0 &&
    length <= MAX_CHALLENGE_BODY &&
    (await discard(socket, length));
  if (!keeps) throw closedOnChallenge(ctx);
}

/** The proxy closed the connection on its challenge: the tunnel is opened again, answering it at once. */
export function closedOnChallenge(ctx: HopContext): ChainError {
  return hopError(
    ctx,
    'AUTH_REQUIRED',
    'auth',
    'the proxy closed the connection after its challenge, and the credentials could not be sent on a new one',
    { reply: 'HTTP 407 Proxy Authentication Required', closedOnChallenge: true },
  );
}

function discard(socket: Duplex, length: number): Promise<boolean> {
  if (socket.destroyed || socket.readableEnded) return Promise.resolve(false);
  if (length === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    let left = length;
    const finish = (kept: boolean) => {
      socket.off('readable', onReadable);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      resolve(kept);
    };
    const onReadable = () => {
      let chunk = socket.read() as Buffer | null;
      while (chunk !== null) {
        if (chunk.length > left) socket.unshift(chunk.subarray(left));
        left -= Math.min(left, chunk.length);
        if (left === 0) return finish(true);
        chunk = socket.read() as Buffer | null;
      }
    };
    const onEnd = () => finish(false);
    socket.on('readable', onReadable);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
  });
}
