/**
 * Chain: an ordered list of hops and one primitive, `connect(target)`. Agents, the fetch
 * dispatcher, `serve` and the CLI all sit on it.
 */
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { inspect } from 'node:util';
import type { Dispatcher } from 'undici';
import { ChainSocket, type ChainSocketOptions } from '../adapters/chain-socket.js';
import { type ChainDispatcherOptions, createDispatcher } from '../adapters/dispatcher.js';
import { type ChainAgent, type ChainAgentOptions, createAgent } from '../adapters/http-agent.js';
import { chainFromConfigFile } from '../config/config-file.js';
import { chainFromEnv } from '../config/env.js';
import { loadPacSource, type PacOptions, PacRouter } from '../config/pac.js';
import { PacConnector } from '../config/pac-connect.js';
import { chainFromProxychainsConf } from '../config/proxychains-conf.js';
import { dial, type TraceEntry } from '../dial/dial.js';
import { connectDirect } from '../dial/direct.js';
import { PipelineMemory } from '../dial/pipeline.js';
import { ChainError } from '../errors.js';
import { type Hop, type HopInput, type HopTlsOptions, parseHops } from '../hop.js';
import { AuthMemory, type ChainAuth } from '../protocols/auth/memory.js';
import { H2Sessions } from '../protocols/h2-sessions.js';
import { type ServeHandle, type ServeOptions, serveChain } from '../server/serve.js';
import { formatTarget, parseTarget, type Target, type TargetInput } from '../target.js';
import { type NoProxy, shouldBypass } from './bypass.js';
import { resolveHopsForSocks4, resolveLocally } from './dns-rule.js';
import { tunnelProbe } from './events.js';
import { dialWithFailover } from './failover.js';
import { HealthChecker, resolveHealthCheck } from './health.js';
import { HopSelector } from './hop-selector.js';
import { type ChainOptions, positive, type ResolvedChainOptions, resolveChainOptions } from './options.js';
import { withRetries } from './retry.js';
import { PAC_ROUTER, routeFor, SCHEME_ROUTES, type SchemeRoutes, urlProtocol } from './scheme-routes.js';
import { type ChainStats, StatsRecorder } from './stats.js';
import { checkTargetTls, type TargetTlsOptions, withTargetTls } from './target-trust.js';

export { type ChainOptions, DEFAULTS, type ResolvedChainOptions } from './options.js';

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
  /** What this chain learnt about its hops' proxy auth (never shared between chains). */
  readonly #auth: ChainAuth;
  /** Chains from Chain.fromPac: the PAC file picks the hops per target. */
  readonly #pac: PacConnector | undefined;
  readonly #resources = new Set<Closable>();
  /** What `pipeline: 'auto'` learnt about these hops (per chain, see pipeline.ts). */
  readonly #pipelineMemory = new PipelineMemory();
  /** HTTP/2 connections to an https:// first hop with `http2` (see protocols/h2-sessions.ts). */
  readonly #h2Sessions = new H2Sessions();
  #dispatcher: Dispatcher | undefined;
  readonly #targetTls: TargetTlsOptions | undefined;
  readonly #stats: StatsRecorder;
  readonly #health: HealthChecker | undefined;
  /** chain.fetch() calls with their own `targetTls`: one dispatcher per settings object. */
  #fetchDispatchers = new WeakMap<TargetTlsOptions, Dispatcher>();

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

  /**
   * A chain whose hops a PAC file picks per target (docs/configuration.md#pac-files):
   * `source` is the script, a file path or an http(s) URL (downloaded directly). `hops` is
   * empty; each route the PAC file names becomes a chain of its own with these options.
   */
  static fromPac(source: string, options: ChainOptions & { pac?: PacOptions } = {}): Chain {
    const { pac, ...rest } = options;
    const router = new PacRouter(loadPacSource(source), rest.dns ?? 'remote', pac);
    return new Chain([], Object.assign(rest, { [PAC_ROUTER]: router }));
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
    this.#noProxy = noProxy;
    const tls: HopTlsOptions = {};
    if (options.ca !== undefined) tls.ca = options.ca;
    if (options.rejectUnauthorized !== undefined) tls.rejectUnauthorized = options.rejectUnauthorized;
    this.#tls = tls;
    this.#targetTls = checkTargetTls(options.targetTls);
    this.#stats = new StatsRecorder(this.hops);
    if (options.healthCheck !== undefined) {
      const health = resolveHealthCheck(options.healthCheck, resolved.mode);
      const target = parseTarget(health.target);
      this.#health = new HealthChecker(
        this.hops,
        health,
        (position, timeoutMs) => this.#checkHop(position, target, timeoutMs),
        (position, down) => this.#selector.setUnhealthy(position, down),
      );
      this.#health.start();
    }
    this.#selector = new HopSelector(resolved);
    this.#routes = (options as { [SCHEME_ROUTES]?: SchemeRoutes })[SCHEME_ROUTES];
    this.#auth = { memory: new AuthMemory(), onProxyAuth: options.onProxyAuth };
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
    if (this.#pac && route !== 'direct') {
      return this.#pac.connect(dest, options.protocol ?? urlProtocol(target), { ...options, timeoutMs });
    }
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
    const probe = tunnelProbe(this.hops, dest && formatTarget(dest));
    const opening = withRetries(
      (remainingMs) =>
        dialWithFailover({
          hops: this.hops,
          candidates,
          selector: this.#selector,
          target: dest && formatTarget(dest),
          trace: options.trace,
          onAttempt: (positions, trace, error) => {
            this.#stats.attempt(positions, trace, error);
            probe?.attempt(positions, trace, error);
          },
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
              pipelineMemory: this.#pipelineMemory,
              h2Sessions: this.#h2Sessions,
              auth: this.#auth,
              positions,
            });
          },
        }),
      { retry: this.options.retries, signal, timeoutMs, discard: ({ socket }) => socket.destroy() },
    );
    const counted = opening.then(
      (dialed) => {
        this.#stats.established(dialed.socket);
        return dialed;
      },
      (error: unknown) => {
        this.#stats.failed(error);
        throw error;
      },
    );
    return probe ? probe.watch(counted) : counted;
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
    const socket = await dial({
      hops: [this.hops[position] as Hop],
      target,
      timeoutMs,
      hopTimeoutMs: Math.min(timeoutMs, this.options.hopTimeoutMs),
      tls: this.#tls,
    });
    socket.destroy();
  }

  /** Frees every pooled socket of the agents and dispatchers, and closes servers, made by this chain. */
  async close(): Promise<void> {
    this.#health?.stop();
    const resources = [...this.#resources];
    this.#resources.clear();
    this.#h2Sessions.close();
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
   * Counters since the chain was made: tunnels open, opened and failed (by code), bytes, and
   * per hop the attempts through it, its failures by code and its setup latency (docs/operations.md).
   */
  stats(): ChainStats {
    return this.#stats.snapshot();
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
      auth: this.#auth,
    });
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

function invalid(message: string): ChainError {
  return new ChainError({ code: 'INVALID_CONFIG', phase: 'config', message });
}
