/**
 * What one chain learnt about its HTTP hops' authentication: the schemes each hop's last
 * 407 offered. Kept per Chain (not per process), so that two chains with different
 * credentials or settings never steer each other. It lets later CONNECTs open with the
 * scheme the hop wants (NTLM's negotiate message, Basic once Basic was asked for) and
 * never send Basic again to a hop that offered only other schemes.
 */
import type { ProxyAuthHook } from '../../hop-auth.js';

const LIMIT = 256;

export class AuthMemory {
  readonly #offered = new Map<string, readonly string[]>();

  /** Schemes (lower-case) of the hop's last 407, or undefined before any. */
  offered(hopUrl: string): readonly string[] | undefined {
    return this.#offered.get(hopUrl);
  }

  remember(hopUrl: string, schemes: readonly string[]): void {
    if (schemes.length === 0) return;
    if (this.#offered.size >= LIMIT && !this.#offered.has(hopUrl)) {
      this.#offered.delete(this.#offered.keys().next().value as string);
    }
    this.#offered.set(hopUrl, Object.freeze([...schemes]));
  }
}

/** The chain-wide part of proxy authentication a hop's handshake gets. */
export interface ChainAuth {
  memory: AuthMemory;
  /** The chain's hook; a hop's own `auth.onProxyAuth` wins. */
  onProxyAuth: ProxyAuthHook | undefined;
}
