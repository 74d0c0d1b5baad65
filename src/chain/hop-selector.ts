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
    if (mode === 'dynamic') {
      const chosen = up.length > 0 ? up : usable;
      return chosen.length > 0 ? chosen : undefined;
    }
    const length = Math.min(this.#options.chainLength, candidates.length);
    if (usable.length < length) return undefined;
    return mode === 'random'
      ? this.#random(up, usable, length)
      : this.#roundRobin(candidates, up, usable, length);
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

  isDown(position: number): boolean {
    if (this.#unhealthy.has(position)) return true;
    const until = this.#downUntil.get(position);
    if (until === undefined) return false;
    if (until > this.#now()) return true;
    this.#downUntil.delete(position);
    return false;
  }

  #random(up: number[], usable: number[], length: number): number[] {
    // Hops that are up come first; cooling ones only fill the chain when too few are up.
    const cooling = usable.filter((p) => !up.includes(p));
    const chosen = [...this.#shuffle(up), ...this.#shuffle(cooling)].slice(0, length);
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

  #roundRobin(candidates: readonly number[], up: number[], usable: number[], length: number): number[] {
    const start = this.#next % candidates.length;
    const rotated = [...candidates.slice(start), ...candidates.slice(0, start)];
    let chosen = rotated.filter((p) => up.includes(p)).slice(0, length);
    if (chosen.length < length) {
      // Not enough hops are up: fill with cooling ones, keeping the rotation order.
      const fill = new Set([...chosen, ...rotated.filter((p) => usable.includes(p) && !chosen.includes(p))]);
      chosen = rotated.filter((p) => fill.has(p)).slice(0, length);
    }
    const last = chosen[chosen.length - 1];
    if (last !== undefined) this.#next = candidates.indexOf(last) + 1;
    return chosen;
  }

  #now(): number {
    return (this.#options.now ?? performance.now.bind(performance))();
  }

  #dice(): number {
    return (this.#options.random ?? Math.random)();
  }
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
