/**
 * Chain: an ordered list of hops and one primitive, `connect(target)`. Agents, the fetch
 * dispatcher, `serve` and the CLI all sit on it.
 */
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { inspect } from 'node:util';
import type { Dispatcher } from 'undici';
import { type ChainDispatcherOptions, createDispatcher } from './adapters/dispatcher.js';
import { type ChainAgent, type ChainAgentOptions, createAgent } from './adapters/http-agent.js';
import {
  type ChainOptions,
  positive,
  type ResolvedChainOptions,
  resolveChainOptions,
} from './chain-options.js';
import { chainFromConfigFile } from './config/config-file.js';
import { chainFromEnv } from './config/env.js';
import { type NoProxy, shouldBypass } from './config/no-proxy.js';
import { chainFromProxychainsConf } from './config/proxychains-conf.js';
import { dial, type TraceEntry } from './dial.js';
import { connectDirect } from './direct.js';
import { resolveHopsForSocks4, resolveLocally } from './dns.js';
import { ChainError } from './errors.js';
import { dialWithFailover } from './failover.js';
import { HopSelector } from './modes.js';
import { withRetries } from './retry.js';
import { routeFor, SCHEME_ROUTES, type SchemeRoutes, urlProtocol } from './routes.js';
import { type ServeHandle, type ServeOptions, serveChain } from './server/serve.js';
import { formatTarget, parseTarget, type Target, type TargetInput } from './target.js';
import { type Hop, type HopInput, type HopTlsOptions, parseHops } from './url.js';

export { type ChainOptions, DEFAULTS, type ResolvedChainOptions } from './chain-options.js';

/** Something the chain hands out and must free on `close()` (agents, dispatchers, servers). */
interface Closable {
  close(): unknown;
  destroy?(): unknown;
}

export interface ConnectOptions {
  signal?: AbortSignal;
  /** Overrides the chain's overall deadline for this connection. */
  timeoutMs?: number;
  /** Receives per-hop timings as the tunnel opens (hopIndex: positions in `chain.hops`). */
  trace?: TraceEntry[];
  /**
   * The scheme of the URL being fetched ('http:', 'https:'...), for chains that route by it
   * (HTTP_PROXY vs HTTPS_PROXY). Default: taken from a URL target, else guessed from the port.
   */
  protocol?: string;
}

export class Chain {
  readonly hops: readonly Hop[];
  readonly options: ResolvedChainOptions;
  readonly #tls: HopTlsOptions;
  readonly #noProxy: NoProxy;
  readonly #selector: HopSelector;
  readonly #routes: SchemeRoutes | undefined;
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

  /** A chain from a config file: JSON `{ "hops": [...], "options": {...} }` or a proxychains.conf. */
  static fromConfigFile(path: string, options: ChainOptions = {}): Chain {
    return chainFromConfigFile(Chain, path, options);
  }

  constructor(hops: string | readonly HopInput[], options: ChainOptions = {}) {
    this.hops = Object.freeze(parseHops(hops));
    if (this.hops.length === 0) {
      throw invalid('a chain needs at least one hop');
    }
    const { resolved, noProxy } = resolveChainOptions(options, this.hops.length);
    this.options = resolved;
    this.#noProxy = noProxy;
    const tls: HopTlsOptions = {};
    if (options.ca !== undefined) tls.ca = options.ca;
    if (options.rejectUnauthorized !== undefined) tls.rejectUnauthorized = options.rejectUnauthorized;
    this.#tls = tls;
    this.#selector = new HopSelector(resolved);
    this.#routes = (options as { [SCHEME_ROUTES]?: SchemeRoutes })[SCHEME_ROUTES];
  }

  /**
   * Opens a tunnel to `target` through the hops the chain's mode picks (every hop, in order,
   * by default) and resolves with the connected socket. A target that NO_PROXY exempts gets
   * a direct connection instead.
   */
  async connect(target: TargetInput, options: ConnectOptions = {}): Promise<net.Socket> {
    let dest = parseTarget(target);
    const timeoutMs = this.#timeout(options);
    const route = this.#route(dest, options.protocol ?? urlProtocol(target));
    if (route === 'direct') return connectDirect(dest, { signal: options.signal, timeoutMs });
    if (this.options.dns === 'local') {
      dest = await resolveLocally(dest, { signal: options.signal, timeoutMs });
      // Resolved here, the address meets the IP rules too, as proxychains' localnet does.
      if (shouldBypass(dest, this.#noProxy))
        return connectDirect(dest, { signal: options.signal, timeoutMs });
    }
    const { socket } = await this.#open(route, dest, options, timeoutMs);
    return socket as net.Socket;
  }

  /**
   * Whether connections to `target` bypass the chain: NO_PROXY matches it, or (chains from
   * HTTP_PROXY/HTTPS_PROXY) no proxy is configured for its scheme. Such targets connect
   * directly; `connect` does that by itself.
   */
  bypasses(target: TargetInput, options: { protocol?: string } = {}): boolean {
    return this.#route(parseTarget(target), options.protocol ?? urlProtocol(target)) === 'direct';
  }

  #route(dest: Target, protocol: string | undefined): readonly number[] | 'direct' {
    if (shouldBypass(dest, this.#noProxy)) return 'direct';
    return routeFor(
      this.#routes,
      this.hops.map((_, index) => index),
      protocol,
      dest,
    );
  }

  #timeout(options: ConnectOptions): number {
    return options.timeoutMs === undefined
      ? this.options.timeoutMs
      : positive(options.timeoutMs, 0, 'timeoutMs');
  }

  /** Mode, failover and retries around dial(): to `dest`, or to the last hop itself. */
  #open(candidates: readonly number[], dest: Target | undefined, options: ConnectOptions, timeoutMs: number) {
    const { signal } = options;
    return withRetries(
      (remainingMs) =>
        dialWithFailover({
          hops: this.hops,
          candidates,
          selector: this.#selector,
          target: dest && formatTarget(dest),
          trace: options.trace,
          deadline: performance.now() + remainingMs,
          prepare: this.options.dns === 'local' ? resolveHopsForSocks4 : undefined,
          dial: (hops, trace, attemptMs, positions) => {
            const last = hops[hops.length - 1] as Hop;
            return dial({
              hops,
              target: dest ?? { host: last.host, port: last.port },
              signal,
              timeoutMs: attemptMs,
              hopTimeoutMs: this.options.hopTimeoutMs,
              tls: this.#tls,
              trace,
              stopAtLastHop: dest === undefined,
              pipeline: this.options.pipeline,
              positions,
            });
          },
        }),
      { retry: this.options.retries, signal, timeoutMs, discard: ({ socket }) => socket.destroy() },
    );
  }

  /** An http.Agent for node:http/https (and axios, got, ws) that tunnels through this chain. */
  agent(options: ChainAgentOptions = {}): ChainAgent {
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
    // Every resource is closed even if one fails; one the user already closed (undici rejects
    // a second close) is not an error of this call.
    const results = await Promise.allSettled(resources.map(async (resource) => resource.close()));
    const failed = results.find(
      (r): r is PromiseRejectedResult =>
        r.status === 'rejected' && (r.reason as { code?: string })?.code !== 'UND_ERR_DESTROYED',
    );
    if (failed) throw failed.reason;
  }

  #keep<T extends Closable>(resource: T): T {
    this.#resources.add(resource);
    return resource;
  }

  /**
   * A connection to the last hop itself, through the hops before it (TLS done for https://,
   * no handshake): for speaking HTTP to an HTTP proxy, as absolute-form forwarding does.
   * Hops are picked, failed over and retried as for `connect`; `hop` is the entry of
   * `chain.hops` reached (in random and round_robin modes it varies).
   */
  async connectToLastHop(options: ConnectOptions = {}): Promise<{ socket: net.Socket; hop: Hop }> {
    const timeoutMs = this.#timeout(options);
    const protocol = options.protocol ?? 'http:';
    const route = routeFor(
      this.#routes,
      this.hops.map((_, index) => index),
      protocol,
      undefined,
    );
    if (route === 'direct') {
      throw new ChainError({
        code: 'INVALID_CONFIG',
        phase: 'config',
        message: `no proxy is configured for ${protocol} targets (they connect directly): there is no last hop to reach`,
      });
    }
    const { socket, positions } = await this.#open(route, undefined, options, timeoutMs);
    return { socket: socket as net.Socket, hop: this.hops[positions[positions.length - 1] as number] as Hop };
  }

  /**
   * One attempt through exactly the hops at `positions` (indices into `chain.hops`, in that
   * order): no mode, failover or retry. With a `target`, a tunnel to it; without, a
   * connection to the last of those hops itself (TCP, and TLS for https://, no handshake).
   * For diagnosis (probe's follow-ups reach hop k through hops 0..k-1). Errors count hops in
   * `positions`, not in `chain.hops`.
   */
  connectThrough(
    positions: readonly number[],
    target: TargetInput | undefined,
    options: { timeoutMs: number; signal?: AbortSignal | undefined },
  ): Promise<Duplex> {
    const hops = positions.map((position) => this.hops[position] as Hop);
    const last = hops[hops.length - 1];
    const dest = target === undefined ? undefined : parseTarget(target);
    return dial({
      hops,
      target: dest ?? { host: last?.host ?? '', port: last?.port ?? 0 },
      signal: options.signal,
      timeoutMs: options.timeoutMs,
      hopTimeoutMs: Math.min(options.timeoutMs, this.options.hopTimeoutMs),
      tls: this.#tls,
      stopAtLastHop: dest === undefined,
      positions,
    });
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

function invalid(message: string): ChainError {
  return new ChainError({ code: 'INVALID_CONFIG', phase: 'config', message });
}
