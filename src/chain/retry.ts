/**
 * Retries of tunnel setup, with p-retry: exponential backoff with jitter, a bounded count and
 * a bounded total time (the chain's overall deadline covers every try and every pause),
 * and the caller's AbortSignal honoured during the pauses too.
 *
 * What is never retried: failures that another try cannot fix (credentials, the proxy's
 * rules, configuration) and aborts. Nothing is retried once the tunnel is up: `connect`
 * resolves before the application sends a byte, and a failure after that is the caller's.
 */
import pRetry, { AbortError } from 'p-retry';
import { ChainError, type ChainErrorCode } from '../errors.js';
import { checkNumber, invalid, milliseconds, type NumberRule } from '../validate.js';

export interface RetryOptions {
  /** How many times to retry after the first attempt. Default 0. */
  retries?: number;
  /** Pause before the first retry, in ms. Default 200. */
  minTimeout?: number;
  /** Longest pause between two attempts, in ms. Default 5000. */
  maxTimeout?: number;
  /** Growth of the pause per retry. Default 2. */
  factor?: number;
  /** Jitter: multiply each pause by a random factor between 1 and 2. Default true. */
  randomize?: boolean;
  /** Bound on the time spent retrying, in ms; the chain's `timeoutMs` bounds it anyway. */
  maxRetryTime?: number;
}

export type ResolvedRetryOptions = Readonly<Required<Omit<RetryOptions, 'maxRetryTime'>>> & {
  readonly maxRetryTime?: number;
};

export const RETRY_DEFAULTS: ResolvedRetryOptions = Object.freeze({
  retries: 0,
  minTimeout: 200,
  maxTimeout: 5000,
  factor: 2,
  randomize: true,
});

export const NEVER_RETRIED: ReadonlySet<ChainErrorCode> = new Set([
  'AUTH_REQUIRED',
  'AUTH_FAILED',
  'AUTH_UNSUPPORTED',
  'PROXY_DENIED',
  'INVALID_CONFIG',
  'ABORTED',
]);

/** Validates `retries` (a count or p-retry-like options); `source` names it in errors. */
export function resolveRetry(
  input: number | RetryOptions | undefined,
  source = 'retries',
): ResolvedRetryOptions {
  if (input === undefined) return RETRY_DEFAULTS;
  const options: RetryOptions = typeof input === 'number' ? { retries: input } : input;
  if (typeof options !== 'object' || options === null) {
    throw invalid(`${source} must be a number of retries or an object like { retries: 3, minTimeout: 200 }`);
  }
  const known = new Set(['retries', 'minTimeout', 'maxTimeout', 'factor', 'randomize', 'maxRetryTime']);
  for (const key of Object.keys(options)) {
    if (!known.has(key))
      throw invalid(`${source} has an unknown option "${key}" (known: ${[...known].join(', ')})`);
  }
  const field = (name: keyof RetryOptions) => (name === 'retries' ? source : `${source}.${name}`);
  const check = (
    value: unknown,
    fallback: number,
    rule: Omit<NumberRule, 'name'> & { name: keyof RetryOptions },
  ) => (value === undefined ? fallback : checkNumber(value, { ...rule, name: field(rule.name) }));
  const pause = (name: keyof RetryOptions, value: unknown, fallback: number) =>
    value === undefined ? fallback : milliseconds(value, { name: field(name), zeroOk: true });
  if (options.randomize !== undefined && typeof options.randomize !== 'boolean') {
    throw invalid(`${source}.randomize must be true or false`);
  }
  const resolved: ResolvedRetryOptions = {
    retries: check(options.retries, RETRY_DEFAULTS.retries, { name: 'retries', whole: true, min: 0 }),
    minTimeout: pause('minTimeout', options.minTimeout, RETRY_DEFAULTS.minTimeout),
    maxTimeout: pause('maxTimeout', options.maxTimeout, RETRY_DEFAULTS.maxTimeout),
    factor: check(options.factor, RETRY_DEFAULTS.factor, { name: 'factor', min: 1 }),
    randomize: options.randomize ?? RETRY_DEFAULTS.randomize,
    ...(options.maxRetryTime === undefined
      ? {}
      : { maxRetryTime: pause('maxRetryTime', options.maxRetryTime, 0) }),
  };
  return Object.freeze(resolved);
}

export interface RetryRun<T> {
  retry: ResolvedRetryOptions;
  signal?: AbortSignal | undefined;
  /** The overall deadline, for all tries together. */
  timeoutMs: number;
  /** Frees a result that arrived as the signal aborted (p-retry then rejects instead). */
  discard?: (value: T) => void;
}

/**
 * Runs `tryOnce` (given the ms left until the deadline) and retries it as configured. One
 * try is one run of failover (failover.ts), which may make several attempts itself.
 */
export async function withRetries<T>(
  tryOnce: (remainingMs: number) => Promise<T>,
  run: RetryRun<T>,
): Promise<T> {
  const { retry, signal, timeoutMs } = run;
  // The default, no retries: one try without p-retry, whose bookkeeping costs ~10 µs per
  // call, about 5% of the CPU of opening a tunnel on loopback (docs/benchmarks.md).
  if (retry.retries === 0) return tryWithoutRetries(tryOnce, run);
  const started = performance.now();
  const remaining = () => timeoutMs - (performance.now() - started);
  let last: ChainError | undefined;
  let produced: { value: T } | undefined;
  try {
    return await pRetry(
      async () => {
        const left = remaining();
        // The pause before this retry ate the rest of the deadline: the last failure stands.
        if (last && left < 1) throw new AbortError(last);
        try {
          const value = await tryOnce(Math.max(1, Math.ceil(left)));
          produced = { value };
          return value;
        } catch (error) {
          last = error instanceof ChainError ? error : unexpected(error);
          throw NEVER_RETRIED.has(last.code) ? new AbortError(last) : last;
        }
      },
      {
        retries: retry.retries,
        factor: retry.factor,
        minTimeout: retry.minTimeout,
        maxTimeout: retry.maxTimeout,
        randomize: retry.randomize,
        maxRetryTime: Math.min(retry.maxRetryTime ?? Number.POSITIVE_INFINITY, timeoutMs),
        signal,
      },
    );
  } catch (error) {
    if (produced) run.discard?.(produced.value);
    if (error instanceof ChainError) throw error;
    if (signal?.aborted) throw abortedError(signal, last);
    throw unexpected(error);
  }
}

/** `withRetries` with `retries: 0`: the same results and errors as the p-retry path. */
async function tryWithoutRetries<T>(
  tryOnce: (remainingMs: number) => Promise<T>,
  run: RetryRun<T>,
): Promise<T> {
  const { signal, timeoutMs } = run;
  if (signal?.aborted) throw abortedError(signal, undefined);
  let value: T;
  try {
    value = await tryOnce(Math.max(1, Math.ceil(timeoutMs)));
  } catch (error) {
    throw error instanceof ChainError ? error : unexpected(error);
  }
  if (signal?.aborted) {
    run.discard?.(value);
    throw abortedError(signal, undefined);
  }
  return value;
}

function abortedError(signal: AbortSignal, last: ChainError | undefined): ChainError {
  return new ChainError({
    code: 'ABORTED',
    phase: last?.phase ?? 'tcp',
    message: last
      ? `aborted while waiting to retry (the last attempt failed: ${last.message})`
      : 'aborted before connecting',
    cause: signal.reason instanceof Error ? signal.reason : undefined,
  });
}

function unexpected(error: unknown): ChainError {
  return new ChainError({
    code: 'PROTOCOL_ERROR',
    phase: 'tcp',
    message: `unexpected failure: ${error instanceof Error ? error.message : String(error)}`,
    cause: error,
  });
}
