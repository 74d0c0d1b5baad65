/**
 * Active health checks for chains that choose their hops (dynamic, random, round_robin):
 * every `intervalMs`, a tunnel to `target` through each hop alone. A hop that fails
 * `tolerance` checks in a row is down (connections leave it out while others are up) until a
 * check passes again. Passive cooldown (a hop that failed a real connection) still applies.
 * Timers are unref'd (they never keep the process alive) and stop on chain.close().
 */
import diagnostics from 'node:diagnostics_channel';
import { ChainError, describeValue } from '../errors.js';
import type { Hop } from '../hop.js';
import { integer, invalid, milliseconds } from '../validate.js';

export interface HealthCheckOptions {
  /** `host:port` each check opens a tunnel to (through one hop at a time). */
  target: string;
  /** Between two rounds of checks, in ms. Default 30000. */
  intervalMs?: number;
  /** Deadline of one check, in ms. Default 5000. */
  timeoutMs?: number;
  /** Failed checks in a row before a hop is down. Default 1. */
  tolerance?: number;
  /** Told when a hop goes down or comes back (also published on `sockschain:hop:down` / `:up`). */
  onChange?(event: HealthEvent): void;
}

export interface HealthEvent {
  hopIndex: number;
  /** The hop's URL, redacted. */
  hop: string;
  state: 'down' | 'up';
  /** Why it is down. */
  error?: ChainError | undefined;
}

export const healthChannels = {
  down: diagnostics.channel('sockschain:hop:down'),
  up: diagnostics.channel('sockschain:hop:up'),
};

/** Checks `healthCheck` up front (INVALID_CONFIG), defaults filled in. */
export function resolveHealthCheck(
  value: unknown,
  mode: string,
): Required<Omit<HealthCheckOptions, 'onChange'>> & Pick<HealthCheckOptions, 'onChange'> {
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
    onChange: options.onChange,
  };
}

export class HealthChecker {
  readonly #hops: readonly Hop[];
  readonly #options: ReturnType<typeof resolveHealthCheck>;
  readonly #check: (position: number, timeoutMs: number) => Promise<void>;
  readonly #setDown: (position: number, down: boolean) => void;
  readonly #failures: number[];
  readonly #down = new Set<number>();
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(
    hops: readonly Hop[],
    options: ReturnType<typeof resolveHealthCheck>,
    check: (position: number, timeoutMs: number) => Promise<void>,
    setDown: (position: number, down: boolean) => void,
  ) {
    this.#hops = hops;
    this.#options = options;
    this.#check = check;
    this.#setDown = setDown;
    this.#failures = hops.map(() => 0);
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

  async #round(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      await Promise.all(this.#hops.map((_, position) => this.#checkOne(position)));
    } finally {
      this.#running = false;
      if (this.#timer !== undefined) {
        this.#timer = setTimeout(() => void this.#round(), this.#options.intervalMs);
        this.#timer.unref();
      }
    }
  }

  async #checkOne(position: number): Promise<void> {
    try {
      await this.#check(position, this.#options.timeoutMs);
      this.#failures[position] = 0;
      if (this.#down.delete(position)) this.#change(position, 'up');
    } catch (error) {
      this.#failures[position] = (this.#failures[position] ?? 0) + 1;
      if ((this.#failures[position] ?? 0) < this.#options.tolerance || this.#down.has(position)) return;
      this.#down.add(position);
      this.#change(position, 'down', error instanceof ChainError ? error : undefined);
    }
  }

  #change(position: number, state: 'down' | 'up', error?: ChainError): void {
    if (this.#timer === undefined) return; // stopped meanwhile
    this.#setDown(position, state === 'down');
    const event: HealthEvent = { hopIndex: position, hop: (this.#hops[position] as Hop).url, state, error };
    const channel = healthChannels[state];
    if (channel.hasSubscribers) channel.publish(event);
    this.#options.onChange?.(event);
  }
}
