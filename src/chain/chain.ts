/**
 * Chain: an ordered list of hops and one primitive, `connect(target)`. This file is the
 * facade: it builds the chain's state, offers what sits on connect (createConnection,
 * agent, dispatcher, fetch, serve, the fromX factories), and frees it all on close(). How
 * a tunnel is opened, top down, is open.ts; the floors it offers (adapters, config, server)
 * see a chain only through the small interfaces of connector.ts.
 */
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { inspect } from 'node:util';
import type { Dispatcher } from 'undici';
import { ChainSocket, type ChainSocketOptions } from '../adapters/chain-socket.js';
import { type ChainDispatcherOptions, createDispatcher } from '../adapters/dispatcher.js';
import { type ChainAgent, type ChainAgentOptions, createAgent } from '../adapters/http-agent.js';
import { fileConfig } from '../config/config-file.js';
import { envConfig } from '../config/env.js';
import { type PacOptions, type PacRoute, type PacRouter, pacConfig } from '../config/pac.js';
import { PacConnector } from '../config/pac-connect.js';
import { proxychainsConfig } from '../config/proxychains-conf.js';
import { PipelineMemory } from '../dial/pipeline.js';
import { type Hop, type HopInput, type HopTlsOptions, parseHops } from '../hop.js';
import { AuthMemory } from '../protocols/auth/memory.js';
import { H2Sessions } from '../protocols/h2-sessions.js';
import { type ServeHandle, type ServeOptions, serveChain } from '../server/serve.js';
import { parseTarget, type Target, type TargetInput } from '../target.js';
import { invalid } from '../validate.js';
import type { ChainConnector, ConnectOptions } from './connector.js';
import { HealthChecker, resolveHealthCheck } from './health.js';
import { HopSelector } from './hop-selector.js';
import { type ChainState, dialThrough, openToLastHop, openTunnel, routeOf } from './open.js';
import { type ChainOptions, type ResolvedChainOptions, resolveChainOptions } from './options.js';
import { PAC_ROUTER, SCHEME_ROUTES, type SchemeRoutes, urlProtocol } from './scheme-routes.js';
import { type ChainStats, StatsRecorder } from './stats.js';
import { checkTargetTls, type TargetTlsOptions, withTargetTls } from './target-trust.js';

export type { ConnectOptions } from './connector.js';
export { type ChainOptions, DEFAULTS, type ResolvedChainOptions } from './options.js';

/** Something the chain hands out and must free on `close()` (agents, dispatchers, servers). */
interface Closable {
  close(): unknown;
  destroy?(): unknown;
}

export class Chain implements ChainConnector {
  readonly hops: readonly Hop[];
  readonly options: ResolvedChainOptions;
  /** Everything this chain knows and learns, for open.ts (never shared between chains). */
  readonly #state: ChainState;
  /** Chains from Chain.fromPac: the PAC file picks the hops per target. */
  readonly #pac: PacConnector | undefined;
  readonly #resources = new Set<Closable>();
  #dispatcher: Dispatcher | undefined;
  readonly #targetTls: TargetTlsOptions | undefined;
  readonly #health: HealthChecker | undefined;
  /** chain.fetch() calls with their own `targetTls`: one dispatcher per settings object. */
  #fetchDispatchers = new WeakMap<TargetTlsOptions, Dispatcher>();

  /** A chain from PROXY_CHAIN, SOCKSCHAIN_CONFIG or the standard *_PROXY variables; undefined when none is set. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env, options: ChainOptions = {}): Chain | undefined {
    const config = envConfig(env, options);
    return config && new Chain(config.hops, config.options);
  }

  /** A chain from proxychains-ng's configuration format (the text, or a path to the file). */
  static fromProxychainsConf(textOrPath: string, options: ChainOptions = {}): Chain {
    const config = proxychainsConfig(textOrPath, options);
    return new Chain(config.hops, config.options);
  }

  /** A chain from a config file: JSON `{ "hops": [...], "options": {...} }` or a proxychains.conf. */
  static fromConfigFile(path: string, options: ChainOptions = {}): Chain {
    const config = fileConfig(path, options);
    return new Chain(config.hops, config.options);
  }

  /**
   * A chain whose hops a PAC file picks per target (docs/configuration.md#pac-files):
   * `source` is the script, a file path or an http(s) URL (downloaded directly). `hops` is
   * empty; each route the PAC file names becomes a chain of its own with these options.
   */
  static fromPac(source: string, options: ChainOptions & { pac?: PacOptions } = {}): Chain {
    const config = pacConfig(source, options);
    return new Chain(config.hops, config.options);
  }

  constructor(hops: string | readonly HopInput[], options: ChainOptions = {}) {
    this.hops = Object.freeze(parseHops(hops));
    const router = (options as { [PAC_ROUTER]?: PacRouter })[PAC_ROUTER];
    if (router) {
      const routeOptions: ChainOptions = { ...options };
      delete (routeOptions as { [PAC_ROUTER]?: PacRouter })[PAC_ROUTER];
      this.#pac = new PacConnector(router, (urls) => this.#keep(new Chain(urls, routeOptions)));
    } else {
      this.#pac = undefined;
    }
    if (this.hops.length === 0 && !this.#pac) {
      throw invalid('a chain needs at least one hop');
    }
    const { resolved, noProxy } = resolveChainOptions(options, Math.max(this.hops.length, 1));
    this.options = resolved;
    const tls: HopTlsOptions = {};
    if (options.ca !== undefined) tls.ca = options.ca;
    if (options.rejectUnauthorized !== undefined) tls.rejectUnauthorized = options.rejectUnauthorized;
    this.#targetTls = checkTargetTls(options.targetTls);
    const selector = new HopSelector(resolved);
    this.#state = {
      hops: this.hops,
      options: resolved,
      tls,
      noProxy,
      routes: (options as { [SCHEME_ROUTES]?: SchemeRoutes })[SCHEME_ROUTES],
      pac: this.#pac,
      selector,
      auth: { memory: new AuthMemory(), onProxyAuth: options.onProxyAuth },
      pipelineMemory: new PipelineMemory(),
      h2Sessions: new H2Sessions(),
      stats: new StatsRecorder(this.hops),
    };
    if (options.healthCheck !== undefined) {
      const health = resolveHealthCheck(options.healthCheck, resolved.mode);
      const target = parseTarget(health.target);
      this.#health = new HealthChecker(
        this.hops,
        health,
        (position, timeoutMs) => this.#checkHop(position, target, timeoutMs),
        (position, down) => selector.setUnhealthy(position, down),
        { setLatency: (position, ms, slow) => selector.setLatency(position, ms, slow) },
      );
      this.#health.start();
    }
  }

  /**
   * Opens a tunnel to `target` through the hops the chain's mode picks (every hop, in order,
   * by default) and resolves with the connected socket. A target that NO_PROXY exempts gets
   * a direct connection instead.
   */
  connect(target: TargetInput, options: ConnectOptions = {}): Promise<net.Socket> {
    return openTunnel(this.#state, target, options);
  }

  /**
   * Whether connections to `target` bypass the chain: NO_PROXY matches it, or (chains from
   * HTTP_PROXY/HTTPS_PROXY) no proxy is configured for its scheme. Such targets connect
   * directly; `connect` does that by itself.
   */
  bypasses(target: TargetInput, options: { protocol?: string } = {}): boolean {
    return routeOf(this.#state, parseTarget(target), options.protocol ?? urlProtocol(target)) === 'direct';
  }

  /**
   * A socket-like Duplex returned at once, as net.createConnection does: it opens its tunnel
   * in the background, emits 'connect' when it is up, queues writes until then, and fails
   * with the ChainError. Without a target it waits for `socket.connect(port, host)` (pg).
   */
  createConnection(target?: TargetInput, options: ChainSocketOptions = {}): ChainSocket {
    return new ChainSocket((dest, connectOptions) => this.connect(dest, connectOptions), target, options);
  }

  /** An http.Agent for node:http/https (and axios, got, ws) that tunnels through this chain. */
  agent(options: ChainAgentOptions = {}): ChainAgent {
    return this.#keep(createAgent(this, withTargetTls(options, this.#targetTls)));
  }

  /** An undici Dispatcher for fetch (global or undici's) that tunnels through this chain. */
  dispatcher(options: ChainDispatcherOptions = {}): Dispatcher {
    return this.#keep(createDispatcher(this, withTargetTls(options, this.#targetTls)));
  }

  /**
   * fetch() through this chain (with one shared dispatcher). `init.targetTls` trusts a CA
   * for this call's https:// target (the chain's `targetTls` otherwise); hops keep their own.
   */
  fetch(
    input: string | URL | Request,
    init: RequestInit & { targetTls?: TargetTlsOptions } = {},
  ): Promise<Response> {
    const { targetTls, ...rest } = init;
    let dispatcher: Dispatcher;
    if (targetTls === undefined) {
      this.#dispatcher ??= this.dispatcher();
      dispatcher = this.#dispatcher;
    } else {
      const trust = checkTargetTls(targetTls) as TargetTlsOptions;
      dispatcher = this.#fetchDispatchers.get(trust) ?? this.dispatcher({ ...trust });
      this.#fetchDispatchers.set(trust, dispatcher);
    }
    return fetch(input, { ...rest, dispatcher } as unknown as RequestInit);
  }

  /** A local SOCKS/HTTP proxy server that forwards every connection through this chain. */
  async serve(options: ServeOptions): Promise<ServeHandle> {
    return this.#keep(await serveChain(this, options));
  }

  /** One health check: a tunnel to `target` through the hop at `position` alone. */
  async #checkHop(position: number, target: Target, timeoutMs: number): Promise<void> {
    const socket = await dialThrough(this.#state, [position], target, { timeoutMs });
    socket.destroy();
  }

  /** Frees every pooled socket of the agents and dispatchers, and closes servers, made by this chain. */
  async close(): Promise<void> {
    this.#health?.stop();
    const resources = [...this.#resources];
    this.#resources.clear();
    this.#state.h2Sessions.close();
    this.#dispatcher = undefined;
    this.#fetchDispatchers = new WeakMap();
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
  connectToLastHop(options: ConnectOptions = {}): Promise<{ socket: net.Socket; hop: Hop }> {
    return openToLastHop(this.#state, options);
  }

  /**
   * Counters since the chain was made: tunnels open, opened and failed (by code), bytes, and
   * per hop the attempts through it, its failures by code and its setup latency (docs/operations.md).
   */
  stats(): ChainStats {
    return this.#state.stats.snapshot(this.#health);
  }

  /**
   * One attempt through exactly the hops at `positions` (indices into `chain.hops`, in that
   * order): no mode, failover or retry. With a `target`, a tunnel to it; without, a
   * connection to the last of those hops itself (TCP, and TLS for https://, no handshake).
   * For diagnosis (probe's follow-ups reach hop k through hops 0..k-1). Errors and trace
   * entries name hops by their place in `chain.hops`, as everywhere.
   */
  connectThrough(
    positions: readonly number[],
    target: TargetInput | undefined,
    options: { timeoutMs: number; signal?: AbortSignal | undefined },
  ): Promise<Duplex> {
    return dialThrough(
      this.#state,
      positions,
      target === undefined ? undefined : parseTarget(target),
      options,
    );
  }

  /**
   * A chain from Chain.fromPac: the routes its PAC file gives for `target` (hop URLs, or
   * 'direct'), in the order they are tried; undefined for other chains. For probe's header.
   */
  pacRoutes(target: TargetInput, protocol?: string): Promise<PacRoute[]> | undefined {
    return this.#pac?.routes(parseTarget(target), protocol);
  }

  /** The hops, passwords redacted. */
  toString(): string {
    // A PAC chain's hops are chosen per target; its source may be a URL with a password.
    if (this.#pac) return 'the routes of a PAC file';
    return this.hops.map((hop) => hop.url).join(' -> ');
  }

  toJSON(): { hops: string[]; options: Chain['options'] } {
    return { hops: this.hops.map((hop) => hop.url), options: this.options };
  }

  [inspect.custom](): string {
    return `Chain <${this.toString()}>`;
  }
}
