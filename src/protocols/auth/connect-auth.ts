/**
 * Which credentials a CONNECT to an HTTP hop carries, and the one extra round trip a Digest
 * challenge costs. A hop with credentials gets Basic up front, as before; once a hop has
 * answered 407 with a Digest challenge, that is remembered (per hop URL, for this process),
 * so later CONNECTs send Digest (reusing the nonce with the next nonce-count where RFC 7616
 * allows: qop=auth, not -sess) or nothing until challenged, and never Basic in clear again.
 */
import type { Duplex } from 'node:stream';
import type { Hop } from '../../url.js';
import { type HopContext, hopError } from '../context.js';
import type { ResponseHead } from '../http-response.js';
import { basicAuthorization } from './basic.js';
import { type DigestChallenge, digestAuthorization, parseChallenges, pickDigest } from './digest.js';

/** Remembered Digest challenges by hop URL (the URL names the user, never the password). */
const memory = new Map<string, { challenge: DigestChallenge; nc: number }>();
const MEMORY_LIMIT = 256;

/** Errors after which the tunnel may be opened again at once: the proxy closed the connection on its challenge. */
const redials = new WeakSet<Error>();

export function needsRedial(error: unknown): boolean {
  return error instanceof Error && redials.has(error);
}

/** Forgets every remembered Digest challenge (for tests). */
export function forgetDigestChallenges(): void {
  memory.clear();
}

/** The largest 407 body we read through to keep the connection; bigger ones cost a new connection. */
const MAX_CHALLENGE_BODY = 64 * 1024;

export class ConnectAuth {
  readonly #hop: Hop;
  readonly #uri: string;
  #sentBasic = false;
  #sentDigest = false;
  #answered = false;

  constructor(hop: Hop, uri: string) {
    this.#hop = hop;
    this.#uri = uri;
  }

  get credentials(): boolean {
    return this.#hop.username !== undefined || this.#hop.password !== undefined;
  }

  /** Proxy-Authorization for the first CONNECT, if any. */
  first(): string | undefined {
    if (!this.credentials) return undefined;
    const known = memory.get(this.#hop.url);
    if (!known) return this.#basic();
    if (known.challenge.qop !== 'auth' || known.challenge.algorithm.endsWith('-sess')) return undefined;
    known.nc += 1;
    this.#sentDigest = true;
    return this.#digest(known.challenge, known.nc);
  }

  /**
   * After a 407: the Proxy-Authorization to send once more, or undefined when the reply
   * stands (no credentials, no usable challenge, or already answered once).
   */
  answer(head: ResponseHead, ctx: HopContext): string | undefined {
    if (head.status !== 407 || !this.credentials || this.#answered) return undefined;
    const challenges = parseChallenges(head.headers.get('proxy-authenticate') ?? []);
    const digest = pickDigest(challenges);
    if (digest === null) {
      // Remembered Digest, but the proxy now asks for Basic only: it was reconfigured.
      if (this.#sentBasic || !challenges.some((c) => c.scheme === 'basic')) return undefined;
      memory.delete(this.#hop.url);
      this.#answered = true;
      return this.#basic();
    }
    const reply = `HTTP ${head.status}${head.reason ? ` ${head.reason}` : ''}`;
    if ('unsupported' in digest) {
      throw hopError(
        ctx,
        'AUTH_FAILED',
        'auth',
        `the proxy wants Digest with ${digest.unsupported}, which is not supported`,
        {
          reply,
        },
      );
    }
    // Our Digest from a remembered nonce was refused, and not for staleness: wrong credentials.
    if (this.#sentDigest && !digest.stale) return undefined;
    if (memory.size >= MEMORY_LIMIT && !memory.has(this.#hop.url)) {
      memory.delete(memory.keys().next().value as string);
    }
    memory.set(this.#hop.url, { challenge: digest, nc: 1 });
    this.#answered = true;
    return this.#digest(digest, 1);
  }

  #basic(): string {
    this.#sentBasic = true;
    return basicAuthorization(this.#hop.username ?? '', this.#hop.password ?? '');
  }

  #digest(challenge: DigestChallenge, nc: number): string {
    return digestAuthorization({
      username: this.#hop.username ?? '',
      password: this.#hop.password ?? '',
      method: 'CONNECT',
      uri: this.#uri,
      challenge,
      nc,
    });
  }
}

/**
 * Reads the 407's body through so the connection can carry the next CONNECT. Throws an
 * AUTH_REQUIRED marked for a redial when the proxy will not keep the connection.
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

/** The proxy closed the connection on its Digest challenge: the tunnel is opened again with Digest. */
export function closedOnChallenge(ctx: HopContext): Error {
  const error = hopError(
    ctx,
    'AUTH_REQUIRED',
    'auth',
    'the proxy closed the connection after its Digest challenge, and answered no Digest credentials on a new one',
    { reply: 'HTTP 407 Proxy Authentication Required' },
  );
  redials.add(error);
  return error;
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
