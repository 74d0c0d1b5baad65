/**
 * Chain modes, after proxychains-ng: which of the configured hops one connection uses.
 *
 * - strict: every hop, in order.
 * - dynamic: every hop in order, skipping hops that are down.
 * - random: `chainLength` hops, picked at random (no repeats).
 * - round_robin: `chainLength` hops in list order, starting after the last hop the previous
 *   connection used, wrapping around.
 *
 * A hop that failed in dynamic, random or round_robin mode cools down for `cooldownMs`: the
 * next connections leave it out while enough other hops are left, so they don't wait on it
 * again. Strict mode has no choice to make, so it keeps no such record.
 *
 * With latency-aware selection (health checks with `prefer: 'latency'`, see latency.ts), hops
 * the checks found slow are the last choice among the hops that are up: dynamic leaves them
 * out while a fast hop is up; random and round_robin pick among the fast hops and, when
 * fewer than `chainLength` are fast, add the fastest of the slow ones.
 */
import { blame } from '../blame.js';
import type { ChainError } from '../errors.js';

export const CHAIN_MODES = ['strict', 'dynamic', 'random', 'round_robin'] as const;
export type ChainMode = (typeof CHAIN_MODES)[number];

export interface SelectorOptions {
  mode: ChainMode;
  chainLength: number;
  cooldownMs: number;
  /** For tests: the clock and the dice. */
  now?: () => number;
  random?: () => number;
}

export class HopSelector {
  readonly #options: SelectorOptions;
  readonly #downUntil = new Map<number, number>();
  /** Hops that active health checks found down, until a check passes (health.ts). */
  readonly #unhealthy = new Set<number>();
  /** Health checks' latency verdicts (latency.ts): slow hops and every measured hop's latency. */
  readonly #slow = new Set<number>();
  readonly #latencyMs = new Map<number, number>();
  #next = 0;

  constructor(options: SelectorOptions) {
    this.#options = options;
  }

  get mode(): ChainMode {
    return this.#options.mode;
  }

  /**
   * The positions (in `candidates` order, indices into chain.hops) for one attempt, leaving
   * out `excluded` (hops that failed during this connection) and, while enough others are
   * left, hops cooling down. Undefined when too few hops are left to build a chain.
   */
  select(candidates: readonly number[], excluded: ReadonlySet<number> = new Set()): number[] | undefined {
    const { mode } = this.#options;
    if (mode === 'strict') return [...candidates];
    const usable = candidates.filter((position) => !excluded.has(position));
    const up = usable.filter((position) => !this.isDown(position));
    const fast = up.filter((position) => !this.#slow.has(position));
    if (mode === 'dynamic') {
      const chosen = fast.length > 0 ? fast : up.length > 0 ? up : usable;
      return chosen.length > 0 ? chosen : undefined;
    }
    const length = Math.min(this.#options.chainLength, candidates.length);
    if (usable.length < length) return undefined;
    // Slow hops that are up, fastest first; cooling hops only fill the chain when too few are up.
    const slow = up.filter((p) => this.#slow.has(p)).sort((a, b) => this.#latency(a) - this.#latency(b));
    const cooling = usable.filter((p) => !up.includes(p));
    return mode === 'random'
      ? this.#random(fast, slow, cooling, length)
      : this.#roundRobin(candidates, fast, slow, cooling, length);
  }

  /** Records a hop failure: the hop cools down (not in strict mode, which cannot skip it). */
  markDown(position: number): void {
    if (this.#options.mode === 'strict' || this.#options.cooldownMs <= 0) return;
    this.#downUntil.set(position, this.#now() + this.#options.cooldownMs);
  }

  /** A hop that just carried a connection is up again. */
  markUp(position: number): void {
    this.#downUntil.delete(position);
  }

  /** Health checks' verdict on a hop. */
  setUnhealthy(position: number, unhealthy: boolean): void {
    if (unhealthy) this.#unhealthy.add(position);
    else this.#unhealthy.delete(position);
  }

  /** Health checks' latency for a hop (undefined: not measured) and whether it is too slow to prefer. */
  setLatency(position: number, latencyMs: number | undefined, slow: boolean): void {
    if (latencyMs === undefined) this.#latencyMs.delete(position);
    else this.#latencyMs.set(position, latencyMs);
    if (slow) this.#slow.add(position);
    else this.#slow.delete(position);
  }

  isDown(position: number): boolean {
    if (this.#unhealthy.has(position)) return true;
    const until = this.#downUntil.get(position);
    if (until === undefined) return false;
    if (until > this.#now()) return true;
    this.#downUntil.delete(position);
    return false;
  }

  #random(fast: number[], slow: number[], cooling: number[], length: number): number[] {
    const chosen = pick([this.#shuffle(fast), slow, this.#shuffle(cooling)], length);
    // The picked hops are chained in random order, as proxychains does.
    return this.#shuffle(chosen);
  }

  /** Fisher-Yates, on a copy. */
  #shuffle(list: readonly number[]): number[] {
    const out = [...list];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.#dice() * (i + 1));
      [out[i], out[j]] = [out[j] as number, out[i] as number];
    }
    return out;
  }

  #roundRobin(
    candidates: readonly number[],
    fast: number[],
    slow: number[],
    cooling: number[],
    length: number,
  ): number[] {
    const start = this.#next % candidates.length;
    const rotated = [...candidates.slice(start), ...candidates.slice(0, start)];
    const inTurn = (group: number[]) => rotated.filter((p) => group.includes(p));
    // Fast hops in their turn first; then the fastest slow ones, then cooling ones in turn.
    const picked = pick([inTurn(fast), slow, inTurn(cooling)], length);
    const chosen = rotated.filter((p) => picked.includes(p));
    const last = chosen[chosen.length - 1];
    if (last !== undefined) this.#next = candidates.indexOf(last) + 1;
    return chosen;
  }

  #latency(position: number): number {
    return this.#latencyMs.get(position) ?? Number.POSITIVE_INFINITY;
  }

  #now(): number {
    return (this.#options.now ?? performance.now.bind(performance))();
  }

  #dice(): number {
    return (this.#options.random ?? Math.random)();
  }
}

/** The first `length` positions of `groups`, taken in order (earlier groups are preferred). */
function pick(groups: readonly number[][], length: number): number[] {
  return groups.flat().slice(0, length);
}

/**
 * Whether a failure says the hop at `error.hopIndex` is down (unreachable, silent, not
 * speaking its protocol), as opposed to the hop working and refusing us (credentials, rules)
 * or the target being the problem: only the former makes a mode skip the hop. blame.ts
 * decides, as it does for probe and serve.
 */
export function isHopDown(error: ChainError, lastIndex: number, target: string | undefined): boolean {
  return blame(error, { hopCount: lastIndex + 1, finalTarget: target }).hopDown;
}
