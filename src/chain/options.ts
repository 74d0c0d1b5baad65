/** The chain's options: what users may pass, their defaults, and the checks that turn bad values into INVALID_CONFIG. */

import type { PipelineMode } from '../dial/pipeline.js';
import { ChainError, describeValue } from '../errors.js';
import type { HopTlsOptions } from '../hop.js';
import type { ProxyAuthHook } from '../hop-auth.js';
import { type NoProxy, parseNoProxy } from './bypass.js';
import type { DnsMode } from './dns-rule.js';
import type { HealthCheckOptions } from './health.js';
import { CHAIN_MODES, type ChainMode } from './hop-selector.js';
import { type ResolvedRetryOptions, type RetryOptions, resolveRetry } from './retry.js';
import type { TargetTlsOptions } from './target-trust.js';

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
  timeoutMs: 30_000,
  hopTimeoutMs: 10_000,
  dns: 'remote' as DnsMode,
  mode: 'strict' as ChainMode,
  chainLength: 1,
  cooldownMs: 30_000,
  httpForwarding: 'absolute' as const,
};

/** Checks every option and fills in the defaults; `noProxy` comes back parsed for the chain's own use. */
export function resolveChainOptions(
  options: ChainOptions,
  hopCount: number,
): { resolved: ResolvedChainOptions; noProxy: NoProxy } {
  const noProxy = parseNoProxy(options.noProxy);
  if (options.onProxyAuth !== undefined && typeof options.onProxyAuth !== 'function') {
    throw invalid('onProxyAuth must be a function');
  }
  const resolved: ResolvedChainOptions = Object.freeze({
    timeoutMs: positive(options.timeoutMs, DEFAULTS.timeoutMs, 'timeoutMs'),
    hopTimeoutMs: positive(options.hopTimeoutMs, DEFAULTS.hopTimeoutMs, 'hopTimeoutMs'),
    dns: dnsMode(options.dns),
    mode: chainMode(options.mode),
    chainLength: lengthOf(options.chainLength, hopCount),
    retries: resolveRetry(options.retries),
    cooldownMs: positive(options.cooldownMs, DEFAULTS.cooldownMs, 'cooldownMs', true),
    noProxy: noProxy.entries,
    httpForwarding: forwarding(options.httpForwarding),
    pipeline: pipelineMode(options.pipeline),
  });
  return { resolved, noProxy };
}

export function positive(value: number | undefined, fallback: number, name: string, zeroOk = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (value === 0 && !zeroOk)) {
    throw invalidOption(
      name,
      `${name} must be a ${zeroOk ? 'non-negative' : 'positive'} number of ms, got ${describeValue(value)}`,
    );
  }
  return value;
}

/**
 * An INVALID_CONFIG that names the option as a typed field, so that a caller that set it
 * from elsewhere (an environment variable) can say so without reading the message.
 */
export class OptionError extends ChainError {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super({ code: 'INVALID_CONFIG', phase: 'config', message });
  }
}

function invalidOption(option: string, message: string): OptionError {
  return new OptionError(option, message);
}

function dnsMode(value: unknown): DnsMode {
  if (value === undefined || value === 'remote' || value === 'local') return value ?? 'remote';
  throw invalid(`dns must be 'remote' or 'local', got ${JSON.stringify(value)}`);
}

function chainMode(value: unknown): ChainMode {
  if (value === undefined) return DEFAULTS.mode;
  if (CHAIN_MODES.includes(value as ChainMode)) return value as ChainMode;
  throw invalid(
    `mode must be one of ${CHAIN_MODES.map((m) => `'${m}'`).join(', ')}, got ${JSON.stringify(value)}`,
  );
}

function lengthOf(value: unknown, hopCount: number): number {
  if (value === undefined) return DEFAULTS.chainLength;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > hopCount) {
    throw invalidOption(
      'chainLength',
      `chainLength must be a whole number from 1 to the number of hops (${hopCount}), got ${describeValue(value)}`,
    );
  }
  return value;
}

function forwarding(value: unknown): 'absolute' | 'connect' {
  if (value === undefined) return DEFAULTS.httpForwarding;
  if (value === 'absolute' || value === 'connect') return value;
  throw invalid(`httpForwarding must be 'absolute' or 'connect', got ${JSON.stringify(value)}`);
}

function invalid(message: string): ChainError {
  return new ChainError({ code: 'INVALID_CONFIG', phase: 'config', message });
}

function pipelineMode(value: unknown): PipelineMode {
  if (value === undefined) return false;
  if (value === true || value === false || value === 'auto') return value;
  throw invalid(`pipeline must be true, false or 'auto'`);
}
