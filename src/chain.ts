/**
 * Chain: an ordered list of hops and one primitive, `connect(target)`. Agents, the fetch
 * dispatcher, `serve` and the CLI all sit on it.
 */
import type http from 'node:http';
import type net from 'node:net';
import { inspect } from 'node:util';
import type { Dispatcher } from 'undici';
import { type ChainDispatcherOptions, createDispatcher } from './adapters/dispatcher.js';
import { type ChainAgentOptions, createAgent } from './adapters/http-agent.js';
import { chainFromEnv } from './config/env.js';
import { chainFromProxychainsConf } from './config/proxychains-conf.js';
import { type DialOptions, dial, type TraceEntry } from './dial.js';
import { type DnsMode, resolveHopsForSocks4, resolveLocally } from './dns.js';
import { ChainError } from './errors.js';
import { type ServeHandle, type ServeOptions, serveChain } from './server/serve.js';
import { parseTarget, type TargetInput } from './target.js';
import { type Hop, type HopInput, type HopTlsOptions, parseHops } from './url.js';

/** Something the chain hands out and must free on `close()` (agents, dispatchers, servers). */
interface Closable {
  close(): unknown;
  destroy?(): unknown;
}

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
  readonly #resources = new Set<Closable>();
  #dispatcher: Dispatcher | undefined;

  /** A chain from PROXY_CHAIN, SOCKSCHAIN_CONFIG or the standard *_PROXY variables; undefined when none is set. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env, options: ChainOptions = {}): Chain | undefined {
    return chainFromEnv(Chain, env, options);
  }

  /** A chain from proxychains-ng's configuration format (the text, or a path to the file). */
  static fromProxychainsConf(textOrPath: string, options: ChainOptions = {}): Chain {
    return chainFromProxychainsConf(Chain, textOrPath, options);
  }

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

  /** An http.Agent for node:http/https (and axios, got, ws) that tunnels through this chain. */
  agent(options: ChainAgentOptions = {}): http.Agent {
    return this.#keep(createAgent(this, options));
  }

  /** An undici Dispatcher for fetch (global or undici's) that tunnels through this chain. */
  dispatcher(options: ChainDispatcherOptions = {}): Dispatcher {
    return this.#keep(createDispatcher(this, options));
  }

  /** fetch() through this chain (with one shared dispatcher). */
  fetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
    this.#dispatcher ??= this.dispatcher();
    return fetch(input, { ...init, dispatcher: this.#dispatcher } as unknown as RequestInit);
  }

  /** A local SOCKS/HTTP proxy server that forwards every connection through this chain. */
  async serve(options: ServeOptions): Promise<ServeHandle> {
    return this.#keep(await serveChain(this, options));
  }

  /** Frees every pooled socket of the agents and dispatchers, and closes servers, made by this chain. */
  async close(): Promise<void> {
    const resources = [...this.#resources];
    this.#resources.clear();
    this.#dispatcher = undefined;
    await Promise.all(resources.map(async (resource) => resource.close()));
  }

  #keep<T extends Closable>(resource: T): T {
    this.#resources.add(resource);
    return resource;
  }

  /**
   * A connection to the last hop itself, through the hops before it (TLS done for https://,
   * no handshake): for speaking HTTP to an HTTP proxy, as absolute-form forwarding does.
   */
  async connectToLastHop(options: ConnectOptions = {}): Promise<{ socket: net.Socket; hop: Hop }> {
    const hops = this.options.dns === 'local' ? await resolveHopsForSocks4(this.hops) : this.hops;
    const hop = hops[hops.length - 1] as Hop;
    const socket = await dial({
      hops,
      target: { host: hop.host, port: hop.port },
      signal: options.signal,
      timeoutMs: options.timeoutMs ?? this.options.timeoutMs,
      hopTimeoutMs: this.options.hopTimeoutMs,
      tls: this.#tls,
      trace: options.trace,
      stopAtLastHop: true,
    });
    return { socket: socket as net.Socket, hop };
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
