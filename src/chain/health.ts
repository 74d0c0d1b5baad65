/**
 * Active health checks for chains that choose their hops (dynamic, random, round_robin):
 * every `intervalMs`, a tunnel to `target` through each hop alone. A hop that fails
 * `tolerance` checks in a row is down (connections leave it out while others are up) until a
 * check passes again. Passive cooldown (a hop that failed a real connection) still applies.
 * Each passing check's duration is kept as the hop's latency (latency.ts); with
 * `prefer: 'latency'` hops slower than the fastest by more than `toleranceMs` are the last
 * choice (hop-selector.ts). Timers are unref'd (they never keep the process alive) and stop
 * on chain.close().
 */
import diagnostics from 'node:diagnostics_channel';
import { ChainError, describeValue } from '../errors.js';
import type { Hop } from '../hop.js';
import { integer, invalid, milliseconds } from '../validate.js';
import { LatencyTracker } from './latency.js';

export interface HealthCheckOptions {
  /** `host:port` each check opens a tunnel to (through one hop at a time). */
  target: string;
  /** Between two rounds of checks, in ms. Default 30000. */
  intervalMs?: number;
  /** Deadline of one check, in ms. Default 5000. */
  timeoutMs?: number;
  /** Failed checks in a row before a hop is down. Default 1. */
  tolerance?: number;
  /**
   * 'latency': prefer the hops whose checks are fastest (after Clash's url-test): a hop slower
   * than the fastest up hop by more than `toleranceMs` is left out while enough faster hops
   * are up. Default: hops are chosen by health and mode only.
   */
  prefer?: 'latency';
  /** With `prefer: 'latency'`: how much slower than the fastest hop is still as good, in ms. Default 50. */
  toleranceMs?: number;
  /**
   * Told when a hop goes down or comes back (also published on `sockschain:hop:down` / `:up`)
   * and, with `prefer: 'latency'`, when it turns slow or fast (`sockschain:hop:slow` / `:fast`).
   */
  onChange?(event: HealthEvent): void;
}

export interface HealthEvent {
  hopIndex: number;
  /** The hop's URL, redacted. */
  hop: string;
  /** 'slow' and 'fast' only with `prefer: 'latency'`. */
  state: 'down' | 'up' | 'slow' | 'fast';
  /** Why it is down. */
  error?: ChainError | undefined;
  /** 'up': the passing check's duration; 'slow' / 'fast': the hop's smoothed check latency, in ms. */
  latencyMs?: number;
  /** 'slow' / 'fast': the fastest up hop's smoothed check latency, in ms. */
  fastestMs?: number;
}

export const healthChannels = {
  down: diagnostics.channel('sockschain:hop:down'),
  up: diagnostics.channel('sockschain:hop:up'),
  slow: diagnostics.channel('sockschain:hop:slow'),
  fast: diagnostics.channel('sockschain:hop:fast'),
};

/** A hop as health checks see it, for chain.stats(). */
export interface HopHealth {
  /** 'unchecked' until its first check ends; 'slow' only with `prefer: 'latency'`. */
  state: 'unchecked' | 'up' | 'down' | 'slow';
  /** Median of its last passing checks, in ms (latency.ts). */
  latencyMs?: number;
}

export interface HealthCheckerExtras {
  /** Where latency verdicts go (the chain's HopSelector), with `prefer: 'latency'`. */
  setLatency?(position: number, latencyMs: number | undefined, slow: boolean): void;
}

/** Checks `healthCheck` up front (INVALID_CONFIG), defaults filled in. */
export function resolveHealthCheck(
  value: unknown,
  mode: string,
): Required<Omit<HealthCheckOptions, 'onChange' | 'prefer'>> &
  Pick<HealthCheckOptions, 'onChange' | 'prefer'> {
  const options = value as HealthCheckOptions;
  if (value === null || typeof value !== 'object')
    throw invalid(`healthCheck must be an object, got ${describeValue(value)}`);
  if (mode === 'strict')
    throw invalid("healthCheck needs a mode that chooses hops: 'dynamic', 'random' or 'round_robin'");
  if (typeof options.target !== 'string' || !/:\d+$/.test(options.target)) {
    throw invalid(`healthCheck.target must be "host:port", got ${describeValue(options.target)}`);
  }
  const ms = (value: unknown, name: string, fallback: number) =>
    value === undefined ? fallback : milliseconds(value, { name: `healthCheck.${name}` });
  return {
    target: options.target,
    intervalMs: ms(options.intervalMs, 'intervalMs', 30_000),
    timeoutMs: ms(options.timeoutMs, 'timeoutMs', 5000),
    tolerance:
      options.tolerance === undefined
        ? 1
        : integer(options.tolerance, { name: 'healthCheck.tolerance', min: 1 }),
    prefer: preferOption(options.prefer),
    toleranceMs: ms(options.toleranceMs, 'toleranceMs', 50),
    onChange: options.onChange,
  };
}

export class HealthChecker {
  readonly #hops: readonly Hop[];
  readonly #options: ReturnType<typeof resolveHealthCheck>;
  readonly #check: (position: number, timeoutMs: number) => Promise<void>;
  readonly #setDown: (position: number, down: boolean) => void;
  readonly #extras: HealthCheckerExtras;
  readonly #failures: number[];
  readonly #down = new Set<number>();
  readonly #checked = new Set<number>();
  readonly #latency: LatencyTracker;
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(
    hops: readonly Hop[],
    options: ReturnType<typeof resolveHealthCheck>,
    check: (position: number, timeoutMs: number) => Promise<void>,
    setDown: (position: number, down: boolean) => void,
    extras: HealthCheckerExtras = {},
  ) {
    this.#hops = hops;
    this.#options = options;
    this.#check = check;
    this.#setDown = setDown;
    this.#extras = extras;
    this.#failures = hops.map(() => 0);
    this.#latency = new LatencyTracker(hops.length, options.toleranceMs);
  }

  start(): void {
    this.#timer = setTimeout(() => void this.#round(), 0);
    this.#timer.unref();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Positions currently down by health checks. */
  get down(): ReadonlySet<number> {
    return this.#down;
  }

  /** What the checks know of the hop at `position`. */
  hopHealth(position: number): HopHealth {
    const latencyMs = this.#latency.latencyMs(position);
    let state: HopHealth['state'] = 'unchecked';
    if (this.#down.has(position)) state = 'down';
    else if (this.#latency.isSlow(position)) state = 'slow';
    else if (this.#checked.has(position)) state = 'up';
    return latencyMs === undefined ? { state } : { state, latencyMs };
  }

  async #round(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      await Promise.all(this.#hops.map((_, position) => this.#checkOne(position)));
      if (this.#options.prefer === 'latency') this.#judgeLatency();
    } finally {
      this.#running = false;
      if (this.#timer !== undefined) {
        this.#timer = setTimeout(() => void this.#round(), this.#options.intervalMs);
        this.#timer.unref();
      }
    }
  }

  async #checkOne(position: number): Promise<void> {
    const started = performance.now();
    try {
      await this.#check(position, this.#options.timeoutMs);
      const latencyMs = performance.now() - started;
      this.#checked.add(position);
      this.#latency.record(position, latencyMs);
      this.#failures[position] = 0;
      if (this.#down.delete(position)) this.#change(position, { state: 'up', latencyMs });
    } catch (error) {
      this.#checked.add(position);
      this.#failures[position] = (this.#failures[position] ?? 0) + 1;
      if ((this.#failures[position] ?? 0) < this.#options.tolerance || this.#down.has(position)) return;
      this.#down.add(position);
      this.#latency.forget(position);
      this.#change(position, { state: 'down', error: error instanceof ChainError ? error : undefined });
    }
  }

  /** After a round: which up hops are too slow to prefer; the selector learns every hop's latency. */
  #judgeLatency(): void {
    if (this.#timer === undefined) return; // stopped meanwhile
    for (const { position, slow, latencyMs, fastestMs } of this.#latency.update((p) => !this.#down.has(p))) {
      this.#change(position, { state: slow ? 'slow' : 'fast', latencyMs, fastestMs });
    }
    this.#hops.forEach((_, position) => {
      this.#extras.setLatency?.(position, this.#latency.latencyMs(position), this.#latency.isSlow(position));
    });
  }

  #change(position: number, change: Omit<HealthEvent, 'hopIndex' | 'hop'>): void {
    if (this.#timer === undefined) return; // stopped meanwhile
    if (change.state === 'down' || change.state === 'up') this.#setDown(position, change.state === 'down');
    const event: HealthEvent = { hopIndex: position, hop: (this.#hops[position] as Hop).url, ...change };
    const channel = healthChannels[change.state];
    if (channel.hasSubscribers) channel.publish(event);
    this.#options.onChange?.(event);
  }
}

function preferOption(value: unknown): 'latency' | undefined {
  if (value === undefined || value === 'latency') return value;
  throw invalid(`healthCheck.prefer must be 'latency', got ${describeValue(value)}`);
}
