/**
 * Chain: an ordered list of hops and one primitive, `connect(target)`. Agents, the fetch
 * dispatcher, `serve` and the CLI all sit on it.
 */
import type net from 'node:net';
import { inspect } from 'node:util';
import { type DialOptions, dial, type TraceEntry } from './dial.js';
import { type DnsMode, resolveHopsForSocks4, resolveLocally } from './dns.js';
import { ChainError } from './errors.js';
import { parseTarget, type TargetInput } from './target.js';
import { type Hop, type HopInput, type HopTlsOptions, parseHops } from './url.js';

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
}

export interface ConnectOptions {
  signal?: AbortSignal;
  /** Overrides the chain's overall deadline for this connection. */
  timeoutMs?: number;
  /** Receives per-hop timings as the tunnel opens. */
  trace?: TraceEntry[];
}

export const DEFAULTS = { timeoutMs: 30_000, hopTimeoutMs: 10_000, dns: 'remote' as DnsMode };

export class Chain {
  readonly hops: readonly Hop[];
  readonly options: Readonly<Required<Pick<ChainOptions, 'timeoutMs' | 'hopTimeoutMs' | 'dns'>>>;
  readonly #tls: HopTlsOptions;

  constructor(hops: string | readonly HopInput[], options: ChainOptions = {}) {
    this.hops = Object.freeze(parseHops(hops));
    if (this.hops.length === 0) {
      throw new ChainError({
        code: 'INVALID_CONFIG',
        phase: 'config',
        message: 'a chain needs at least one hop',
      });
    }
    this.options = Object.freeze({
      timeoutMs: positive(options.timeoutMs, DEFAULTS.timeoutMs, 'timeoutMs'),
      hopTimeoutMs: positive(options.hopTimeoutMs, DEFAULTS.hopTimeoutMs, 'hopTimeoutMs'),
      dns: dnsMode(options.dns),
    });
    const tls: HopTlsOptions = {};
    if (options.ca !== undefined) tls.ca = options.ca;
    if (options.rejectUnauthorized !== undefined) tls.rejectUnauthorized = options.rejectUnauthorized;
    this.#tls = tls;
  }

  /** Opens a tunnel through every hop, in order, to `target`; resolves with the connected socket. */
  async connect(target: TargetInput, options: ConnectOptions = {}): Promise<net.Socket> {
    let dest = parseTarget(target);
    let hops = this.hops;
    if (this.options.dns === 'local') {
      dest = await resolveLocally(dest);
      hops = await resolveHopsForSocks4(hops);
    }
    const dialOptions: DialOptions = {
      hops,
      target: dest,
      signal: options.signal,
      timeoutMs:
        options.timeoutMs === undefined
          ? this.options.timeoutMs
          : positive(options.timeoutMs, 0, 'timeoutMs'),
      hopTimeoutMs: this.options.hopTimeoutMs,
      tls: this.#tls,
      trace: options.trace,
    };
    return (await dial(dialOptions)) as net.Socket;
  }

  /** The hops, passwords redacted. */
  toString(): string {
    return this.hops.map((hop) => hop.url).join(' -> ');
  }

  toJSON(): { hops: string[]; options: Chain['options'] } {
    return { hops: this.hops.map((hop) => hop.url), options: this.options };
  }

  [inspect.custom](): string {
    return `Chain <${this.toString()}>`;
  }
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ChainError({
      code: 'INVALID_CONFIG',
      phase: 'config',
      message: `${name} must be a positive number of ms`,
    });
  }
  return value;
}

function dnsMode(value: unknown): DnsMode {
  if (value === undefined || value === 'remote' || value === 'local') return value ?? 'remote';
  throw new ChainError({
    code: 'INVALID_CONFIG',
    phase: 'config',
    message: `dns must be 'remote' or 'local'`,
  });
}
