/**
 * The chain's options: what users may pass, and the option table (OPTIONS) that says, once
 * per option, how it is checked, its default, whether a config file may set it and which
 * environment variable sets it. The Chain's checks, the config file's known keys and
 * Chain.fromEnv's variables all come from that table.
 */

import type { PipelineMode } from '../dial/pipeline.js';
import { describeValue } from '../errors.js';
import type { HopInput, HopTlsOptions } from '../hop.js';
import type { ProxyAuthHook } from '../hop-auth.js';
import { integer, invalid, milliseconds } from '../validate.js';
import { type NoProxy, parseNoProxy } from './bypass.js';
import type { DnsMode } from './dns-rule.js';
import { type HealthCheckOptions, resolveHealthCheck } from './health.js';
import { CHAIN_MODES, type ChainMode } from './hop-selector.js';
import { type ResolvedRetryOptions, type RetryOptions, resolveRetry } from './retry.js';
import { checkTargetTls, type TargetTlsOptions } from './target-trust.js';

export interface ChainOptions {
  /** Overall deadline for opening a tunnel, in ms. Default 30000. */
  timeoutMs?: number;
  /** Limit for each hop (reaching it, TLS, handshake), in ms. Default 10000. */
  hopTimeoutMs?: number;
  /** Who resolves the target's host name: the last hop (`'remote'`, default) or this process. */
  dns?: DnsMode;
  /** CA for https:// hops (per-hop `ca` wins). */
  ca?: HopTlsOptions['ca'];
  /** Verify https:// hops' certificates. Default true (per-hop setting wins). */
  rejectUnauthorized?: boolean;
  /**
   * TLS for https:// TARGETS (never hops): the CA trusted for them in agent(), dispatcher()
   * and fetch() unless those are given their own. `ca` above is for hops only.
   */
  targetTls?: TargetTlsOptions;
  /**
   * Active health checks ('dynamic', 'random', 'round_robin'): a tunnel to `target` through
   * each hop every `intervalMs`; hops that fail are left out until a check passes (docs/operations.md).
   */
  healthCheck?: HealthCheckOptions;
  /** Which hops a connection uses: 'strict' (default), 'dynamic', 'random' or 'round_robin'. */
  mode?: ChainMode;
  /** 'random' and 'round_robin': how many hops each connection goes through. Default 1. */
  chainLength?: number;
  /** Retries of tunnel setup: a count, or p-retry-like options. Default 0 (no retry). */
  retries?: number | RetryOptions;
  /** How long a hop that failed is left out ('dynamic', 'random', 'round_robin'), in ms. Default 30000. */
  cooldownMs?: number;
  /** Targets that connect directly, not through the chain (NO_PROXY syntax, plus CIDR ranges). */
  noProxy?: string | readonly string[];
  /** Plain http:// targets behind an HTTP last hop: absolute-form requests (default) or CONNECT. */
  httpForwarding?: 'absolute' | 'connect';
  /**
   * Pipelined setup: write the handshakes of consecutive hops without waiting for replies
   * (docs/performance.md). `false` (default), `true`, or `'auto'` (pipeline, fall back to
   * sequential once on failure and remember the hops that refused). Per-hop `pipeline` wins.
   */
  pipeline?: PipelineMode;
  /**
   * Called on an HTTP 407 that sockschain cannot answer by itself (no credentials, a scheme
   * it lacks such as Negotiate, credentials refused): returns headers, credentials or
   * undefined. A hop's own `auth.onProxyAuth` wins. See docs/hops.md#the-auth-hook.
   */
  onProxyAuth?: ProxyAuthHook;
}

/** What some checks need to know besides the value. */
export interface CheckContext {
  /** How many hops the chain has (at least 1): chainLength is at most that. */
  hopCount: number;
  /** The chain's mode, checked: healthCheck needs one that chooses hops. */
  mode: ChainMode;
}

/**
 * How an environment variable's text becomes the option's value (config/env.ts reads it):
 * a whole number >= `min` (at most the number of hops with `max: 'hops'`), one of `choices`
 * as written, a chain mode (proxychains' `dynamic_chain` and `Round-Robin` too), the content
 * of the file the variable names, or NO_PROXY rules (added to a config file's).
 */
export type EnvText =
  | { kind: 'whole'; min: number; max?: 'hops' }
  | { kind: 'choice'; choices: readonly string[] }
  | { kind: 'mode' }
  | { kind: 'file' }
  | { kind: 'rules' };

/** One row of the option table. */
export interface OptionEntry<T> {
  /** The value when none is given (undefined: none). */
  readonly default: T;
  /** Checks a given value (an INVALID_CONFIG naming the option) and returns it as the chain uses it. */
  check(value: unknown, context: CheckContext): T;
  /** Whether a JSON config file may set it (functions and objects with no file form may not). */
  readonly file: boolean;
  /** The environment variables that set it (the first one set wins), and how their text is read. */
  readonly env?: { readonly names: readonly string[]; readonly text: EnvText };
}

/** A row whose check sees given values only: undefined is the default. */
function option<T>(entry: OptionEntry<T>): OptionEntry<T> {
  return {
    ...entry,
    check: (value, context) => (value === undefined ? entry.default : entry.check(value, context)),
  };
}

const DNS_MODES: readonly DnsMode[] = ['remote', 'local'];

/** Every ChainOptions key, once (tsc refuses a key missing here or one ChainOptions lacks). */
export const OPTIONS = {
  timeoutMs: option({
    default: 30_000,
    check: (value) => milliseconds(value, { name: 'timeoutMs' }),
    file: true,
    env: { names: ['SOCKSCHAIN_TIMEOUT_MS'], text: { kind: 'whole', min: 1 } },
  }),
  hopTimeoutMs: option({
    default: 10_000,
    check: (value) => milliseconds(value, { name: 'hopTimeoutMs' }),
    file: true,
    env: { names: ['SOCKSCHAIN_HOP_TIMEOUT_MS'], text: { kind: 'whole', min: 1 } },
  }),
  dns: option<DnsMode>({
    default: 'remote',
    check: (value) => oneOf('dns', value, DNS_MODES),
    file: true,
    env: { names: ['SOCKSCHAIN_DNS'], text: { kind: 'choice', choices: DNS_MODES } },
  }),
  ca: option<HopTlsOptions['ca']>({
    default: undefined,
    check: checkCa,
    file: true,
    env: { names: ['SOCKSCHAIN_CA_FILE'], text: { kind: 'file' } },
  }),
  rejectUnauthorized: option<boolean | undefined>({
    // undefined: each hop's own setting, else Node's default (verify).
    default: undefined,
    check: (value) => boolean('rejectUnauthorized', value),
    file: true,
  }),
  targetTls: option({ default: undefined, check: (value) => checkTargetTls(value), file: false }),
  healthCheck: option({
    default: undefined,
    check: (value, { mode }) => resolveHealthCheck(value, mode),
    file: false,
  }),
  mode: option<ChainMode>({
    default: 'strict',
    check: (value) => oneOf('mode', value, CHAIN_MODES),
    file: true,
    env: { names: ['SOCKSCHAIN_MODE'], text: { kind: 'mode' } },
  }),
  chainLength: option({
    default: 1,
    check: (value, { hopCount }) =>
      integer(value, {
        name: 'chainLength',
        min: 1,
        max: hopCount,
        maxLabel: `the number of hops (${hopCount})`,
      }),
    file: true,
    env: { names: ['SOCKSCHAIN_CHAIN_LEN'], text: { kind: 'whole', min: 1, max: 'hops' } },
  }),
  retries: option<ResolvedRetryOptions>({
    default: resolveRetry(undefined),
    check: (value) => resolveRetry(value as RetryOptions),
    file: true,
    env: { names: ['SOCKSCHAIN_RETRIES'], text: { kind: 'whole', min: 0 } },
  }),
  cooldownMs: option({
    default: 30_000,
    check: (value) => milliseconds(value, { name: 'cooldownMs', zeroOk: true }),
    file: true,
    env: { names: ['SOCKSCHAIN_COOLDOWN_MS'], text: { kind: 'whole', min: 0 } },
  }),
  noProxy: option<NoProxy>({
    default: parseNoProxy(undefined),
    check: (value) => parseNoProxy(value as string),
    file: true,
    // Lower case first, as curl reads it.
    env: { names: ['no_proxy', 'NO_PROXY'], text: { kind: 'rules' } },
  }),
  httpForwarding: option<'absolute' | 'connect'>({
    default: 'absolute',
    check: (value) => oneOf('httpForwarding', value, ['absolute', 'connect']),
    file: true,
  }),
  pipeline: option<PipelineMode>({
    default: false,
    check: (value) => {
      if (value === true || value === false || value === 'auto') return value;
      throw invalid(`pipeline must be true, false or 'auto', got ${describeValue(value)}`);
    },
    file: true,
  }),
  onProxyAuth: option<ProxyAuthHook | undefined>({
    default: undefined,
    check: (value) => {
      if (typeof value === 'function') return value as ProxyAuthHook;
      throw invalid(`onProxyAuth must be a function, got ${describeValue(value)}`);
    },
    file: false,
  }),
} satisfies { [K in keyof Required<ChainOptions>]: OptionEntry<unknown> };

export type OptionName = keyof typeof OPTIONS;

/** What a chain is built from: what config/ (environment, config files, PAC) produces. */
export interface ChainConfig {
  hops: string | readonly HopInput[];
  options: ChainOptions;
}

/** The options as the chain uses them, defaults filled in. */
export interface ResolvedChainOptions {
  readonly timeoutMs: number;
  readonly hopTimeoutMs: number;
  readonly dns: DnsMode;
  readonly mode: ChainMode;
  readonly chainLength: number;
  readonly retries: ResolvedRetryOptions;
  readonly cooldownMs: number;
  readonly noProxy: readonly string[];
  readonly httpForwarding: 'absolute' | 'connect';
  readonly pipeline: PipelineMode;
}

export const DEFAULTS = {
  timeoutMs: OPTIONS.timeoutMs.default,
  hopTimeoutMs: OPTIONS.hopTimeoutMs.default,
  dns: OPTIONS.dns.default,
  mode: OPTIONS.mode.default,
  chainLength: OPTIONS.chainLength.default,
  cooldownMs: OPTIONS.cooldownMs.default,
  httpForwarding: OPTIONS.httpForwarding.default,
};

/** Checks every option of the table and fills in the defaults; `noProxy` comes back parsed for the chain's own use. */
export function resolveChainOptions(
  options: ChainOptions,
  hopCount: number,
): { resolved: ResolvedChainOptions; noProxy: NoProxy } {
  const given = options as Record<OptionName, unknown>;
  // The mode first: healthCheck's check needs it.
  const mode = OPTIONS.mode.check(given.mode, { hopCount, mode: OPTIONS.mode.default });
  const context: CheckContext = { hopCount, mode };
  const checked = {} as Record<OptionName, unknown>;
  for (const name of Object.keys(OPTIONS) as OptionName[]) {
    checked[name] = OPTIONS[name].check(given[name], context);
  }
  const noProxy = checked.noProxy as NoProxy;
  const resolved: ResolvedChainOptions = Object.freeze({
    timeoutMs: checked.timeoutMs as number,
    hopTimeoutMs: checked.hopTimeoutMs as number,
    dns: checked.dns as DnsMode,
    mode,
    chainLength: checked.chainLength as number,
    retries: checked.retries as ResolvedRetryOptions,
    cooldownMs: checked.cooldownMs as number,
    noProxy: noProxy.entries,
    httpForwarding: checked.httpForwarding as 'absolute' | 'connect',
    pipeline: checked.pipeline as PipelineMode,
  });
  return { resolved, noProxy };
}

/** A per-call duration (`connect(target, { timeoutMs })`), checked as the option is. */
export function positive(value: number | undefined, fallback: number, name: string, zeroOk = false): number {
  return value === undefined ? fallback : milliseconds(value, { name, zeroOk });
}

function oneOf<T extends string>(name: string, value: unknown, choices: readonly T[]): T {
  if (choices.includes(value as T)) return value as T;
  const list = choices.map((choice) => `'${choice}'`);
  const said = list.length === 2 ? list.join(' or ') : `one of ${list.join(', ')}`;
  throw invalid(`${name} must be ${said}, got ${describeValue(value)}`);
}

function boolean(name: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  throw invalid(`${name} must be true or false, got ${describeValue(value)}`);
}

/** PEM text (a string or Buffer) or a list of them, as node:tls takes it. */
function checkCa(value: unknown): HopTlsOptions['ca'] {
  const pem = (entry: unknown) => typeof entry === 'string' || Buffer.isBuffer(entry);
  if (pem(value) || (Array.isArray(value) && value.every(pem))) return value as HopTlsOptions['ca'];
  throw invalid(`ca must be PEM text (a string or Buffer) or a list of them, got ${describeValue(value)}`);
}
