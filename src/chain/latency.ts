/**
 * Each hop's health-check latency, and which hops are too slow to prefer
 * (`healthCheck.prefer: 'latency'`), after Clash's url-test groups and their `tolerance`.
 *
 * - A hop's latency is the median of its last LATENCY_SAMPLES passing checks: one slow check
 *   (a GC pause, a lost packet) does not move it, a lasting change does within two rounds.
 * - After each round, a hop is slow when its latency exceeds the fastest up hop's by more
 *   than `toleranceMs`, and fast again only once it is back within `toleranceMs / 2`. Between
 *   the two it keeps its verdict: that band is the hysteresis that keeps the choice from
 *   flapping when two hops hover around the threshold.
 * - A hop that went down forgets its samples: it comes back judged on fresh checks.
 */

export const LATENCY_SAMPLES = 3;

export interface LatencyChange {
  position: number;
  slow: boolean;
  /** The hop's smoothed latency, in ms. */
  latencyMs: number;
  /** The fastest up hop's, in ms. */
  fastestMs: number;
}

export class LatencyTracker {
  readonly #samples: number[][];
  readonly #slow = new Set<number>();
  readonly #toleranceMs: number;

  constructor(hopCount: number, toleranceMs: number) {
    this.#samples = Array.from({ length: hopCount }, () => []);
    this.#toleranceMs = toleranceMs;
  }

  /** A passing check's duration. */
  record(position: number, ms: number): void {
    const samples = this.#samples[position];
    if (!samples) return;
    samples.push(ms);
    if (samples.length > LATENCY_SAMPLES) samples.shift();
  }

  /** A hop that went down: its samples are stale, and it is no longer judged slow. */
  forget(position: number): void {
    this.#samples[position] = [];
    this.#slow.delete(position);
  }

  /** The median of the hop's last checks; undefined before its first passing check. */
  latencyMs(position: number): number | undefined {
    const samples = [...(this.#samples[position] ?? [])].sort((a, b) => a - b);
    if (samples.length === 0) return undefined;
    const middle = samples.length >> 1;
    return samples.length % 2 === 1
      ? (samples[middle] as number)
      : ((samples[middle - 1] as number) + (samples[middle] as number)) / 2;
  }

  isSlow(position: number): boolean {
    return this.#slow.has(position);
  }

  /**
   * Judges every measured hop against the fastest one that is up (after a round of checks);
   * returns the hops whose verdict changed.
   */
  update(isUp: (position: number) => boolean): LatencyChange[] {
    const measured: Array<[number, number]> = [];
    this.#samples.forEach((_, position) => {
      const ms = this.latencyMs(position);
      if (ms !== undefined && isUp(position)) measured.push([position, ms]);
    });
    if (measured.length === 0) return [];
    const fastestMs = Math.min(...measured.map(([, ms]) => ms));
    const changes: LatencyChange[] = [];
    for (const [position, latencyMs] of measured) {
      const slow = this.#slow.has(position);
      if (!slow && latencyMs > fastestMs + this.#toleranceMs) this.#slow.add(position);
      else if (slow && latencyMs <= fastestMs + this.#toleranceMs / 2) this.#slow.delete(position);
      else continue;
      changes.push({ position, slow: !slow, latencyMs, fastestMs });
    }
    return changes;
  }
}
