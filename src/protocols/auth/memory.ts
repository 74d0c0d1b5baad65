/**
 * What one chain learnt about its HTTP hops' authentication: the schemes each hop's last
 * 407 offered, and its last Digest challenge. Kept per Chain (not per process), so that two
 * chains with different credentials or settings never steer each other nor share a
 * nonce-count. It lets later CONNECTs open with the scheme the hop wants (NTLM's negotiate
 * message, Basic once Basic was asked for, Digest reusing the nonce with the next
 * nonce-count where RFC 7616 allows: qop=auth, not -sess) and never send Basic again to a
 * hop that offered only other schemes. Keyed by hop URL (it names the user, never the
 * password); each map is bounded, the oldest entry going first.
 */
import type { ProxyAuthHook } from '../../hop-auth.js';
import type { DigestChallenge } from './digest.js';

const LIMIT = 256;

/** A remembered Digest challenge and the nonce-count last sent with it. */
export interface KnownDigest {
  challenge: DigestChallenge;
  nc: number;
}

export class AuthMemory {
  readonly #offered = new Map<string, readonly string[]>();
  readonly #digest = new Map<string, KnownDigest>();

  /** Schemes (lower-case) of the hop's last 407, or undefined before any. */
  offered(hopUrl: string): readonly string[] | undefined {
    return this.#offered.get(hopUrl);
  }

  remember(hopUrl: string, schemes: readonly string[]): void {
    if (schemes.length === 0) return;
    bounded(this.#offered, hopUrl).set(hopUrl, Object.freeze([...schemes]));
  }

  /** The hop's remembered Digest challenge, its nonce-count moved on, when it can be reused. */
  knownDigest(hopUrl: string): KnownDigest | undefined {
    const known = this.#digest.get(hopUrl);
    if (!known) return undefined;
    if (known.challenge.qop !== 'auth' || known.challenge.algorithm.endsWith('-sess')) return undefined;
    known.nc += 1;
    return known;
  }

  rememberDigest(hopUrl: string, challenge: DigestChallenge): void {
    bounded(this.#digest, hopUrl).set(hopUrl, { challenge, nc: 1 });
  }
}

/** Makes room for `key` in `map` (at most LIMIT entries): the oldest goes. */
function bounded<V>(map: Map<string, V>, key: string): Map<string, V> {
  if (map.size >= LIMIT && !map.has(key)) map.delete(map.keys().next().value as string);
  return map;
}

/** The chain-wide part of proxy authentication a hop's handshake gets. */
export interface ChainAuth {
  memory: AuthMemory;
  /** The chain's hook; a hop's own `auth.onProxyAuth` wins. */
  onProxyAuth: ProxyAuthHook | undefined;
}
