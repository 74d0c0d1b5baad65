/**
 * Keeping the connection over a 407 so the next CONNECT (Digest, NTLM, a hook's header) can
 * follow on it, and the Digest challenges remembered per hop URL for this process, so later
 * CONNECTs send Digest at once (reusing the nonce with the next nonce-count where RFC 7616
 * allows: qop=auth, not -sess). The choice of scheme is proxy-auth.ts's.
 */
import type { Duplex } from 'node:stream';
import type { ChainError } from '../../errors.js';
import { type HopContext, hopError } from '../context.js';
import type { ResponseHead } from '../http-response.js';
import type { DigestChallenge } from './digest.js';

/** Remembered Digest challenges by hop URL (the URL names the user, never the password). */
const memory = new Map<string, { challenge: DigestChallenge; nc: number }>();
const MEMORY_LIMIT = 256;

/** Forgets every remembered Digest challenge (for tests). */
export function forgetDigestChallenges(): void {
  memory.clear();
}

/** The largest 407 body we read through to keep the connection; bigger ones cost a new connection. */
const MAX_CHALLENGE_BODY = 64 * 1024;

/** The remembered Digest challenge of a hop, with its next nonce-count, when it can be reused. */
export function knownDigest(hopUrl: string): { challenge: DigestChallenge; nc: number } | undefined {
  const known = memory.get(hopUrl);
  if (!known) return undefined;
  if (known.challenge.qop !== 'auth' || known.challenge.algorithm.endsWith('-sess')) return undefined;
  known.nc += 1;
  return known;
}

export function rememberDigest(hopUrl: string, challenge: DigestChallenge): void {
  if (memory.size >= MEMORY_LIMIT && !memory.has(hopUrl)) memory.delete(memory.keys().next().value as string);
  memory.set(hopUrl, { challenge, nc: 1 });
}

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
