/**
 * The http.Agent over the chain, for node:http and node:https and everything built on them
 * (axios, got, ws). agent-base gives an async `connect` on top of Node's own pool, so
 * keep-alive and maxSockets work unchanged: one pooled socket is one tunnel.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type tls from 'node:tls';
import { Agent, type AgentConnectOpts } from 'agent-base';
import type { ChainConnector } from '../chain/connector.js';
import { ChainError } from '../errors.js';
import type { Hop } from '../hop.js';
import { formatTarget, parseTarget } from '../target.js';
import {
  abortedError,
  Closing,
  cancelledRequestError,
  type RequestWatch,
  unlessAborted,
  watchRequest,
} from './abort.js';
import { httpOrigin, isUpgrade, rewriteClientRequest } from './absolute-form.js';
import {
  absoluteFormHop,
  checkCount,
  checkForwardHop,
  checkTimeout,
  forwardingMode,
  type HttpForwarding,
  proxied,
  proxyAuthorization,
} from './forwarding.js';
import { HeadWriter } from './head-writer.js';
import { guardClientRequest, proxyAuthError } from './proxy-reply.js';
import { type EndpointHints, httpsOnStack, secureFromOptions } from './secure-endpoint.js';
import { connectTargetTls } from './target-tls.js';

export interface ChainAgentOptions extends http.AgentOptions {
  /** CA for https targets (a request's own `ca` is used when the agent has none). */
  ca?: tls.ConnectionOptions['ca'];
  /** Verify https targets' certificates. Default true. */
  rejectUnauthorized?: boolean;
  cert?: tls.ConnectionOptions['cert'];
  key?: tls.ConnectionOptions['key'];
  /** Plain http:// targets behind an HTTP proxy last hop: absolute-form (default) or CONNECT. */
  forwarding?: HttpForwarding;
  /** Deadline for opening a tunnel, in ms. Default: the chain's `timeoutMs`. */
  timeoutMs?: number;
}

/** Marks the connect options of requests that go to the last hop in absolute-form. */
const ABSOLUTE = Symbol('sockschain.absoluteForm');

type ConnectOpts = AgentConnectOpts & { [ABSOLUTE]?: true };

/** Frames searched for node:https when ClientRequest reads a getter: it is 3 (defaultPort) below. */
const GETTER_DEPTH = 6;

export class ChainAgent extends Agent {
  readonly #chain: ChainConnector;
  readonly #forwardHop: Hop | undefined;
  /** Completes absolute-form heads at the socket, where no user object holds the credentials. */
  readonly #heads: HeadWriter | undefined;
  readonly #timeoutMs: number | undefined;
  readonly #closing = new Closing('agent');
  readonly #requests = new WeakMap<http.ClientRequest, RequestWatch>();
  #closed = false;
  /** Set by a user; http.Agent's constructor sets them before these fields exist (ignored, as agent-base does). */
  #protocol: string | undefined;
  #defaultPort: number | undefined;

  constructor(chain: ChainConnector, options: ChainAgentOptions = {}) {
    const { forwarding, timeoutMs, ...agentOptions } = options;
    checkCount(agentOptions.maxSockets, 'maxSockets');
    checkCount(agentOptions.maxTotalSockets, 'maxTotalSockets');
    checkTimeout(timeoutMs, 'timeoutMs');
    const mode = forwardingMode(chain, forwarding);
    super(agentOptions);
    this.#chain = chain;
    this.#forwardHop = absoluteFormHop(chain, mode);
    this.#heads = this.#forwardHop && new HeadWriter(proxyAuthorization(this.#forwardHop));
    this.#timeoutMs = timeoutMs;
  }

  /** Called by node:http before the request head is sent: the moment to pick absolute-form. */
  addRequest(req: http.ClientRequest, options: AgentConnectOpts): void {
    this.#requests.set(req, watchRequest(req));
    const hop = this.#forwardHop;
    let opts: ConnectOpts = options;
    const host = options.host ?? 'localhost';
    if (
      hop &&
      !this.isSecureEndpoint(options) &&
      !isUpgrade(req) &&
      proxied(this.#chain, host, options.port)
    ) {
      const origin = httpOrigin(host, options.port);
      rewriteClientRequest(req, origin);
      this.#heads?.expect(req, origin);
      guardClientRequest(req, proxyAuthError(hop, this.#chain.hops.length - 1, new URL(origin).host));
      opts = { ...options, [ABSOLUTE]: true };
    }
    const base = Agent.prototype as unknown as { addRequest(r: http.ClientRequest, o: ConnectOpts): void };
    base.addRequest.call(this, req, opts);
  }

  /** node:https or node:http (secure-endpoint.ts): from the options, else without agent-base's stack text. */
  override isSecureEndpoint(options?: AgentConnectOpts): boolean {
    return secureFromOptions(options as EndpointHints | undefined) ?? httpsOnStack(10);
  }

  /** Read by ClientRequest: the protocol of the module that made the request. */
  override get protocol(): string {
    return this.#protocol ?? (httpsOnStack(GETTER_DEPTH) ? 'https:' : 'http:');
  }

  override set protocol(value: string) {
    if (#protocol in this) this.#protocol = value;
  }

  /** Read by ClientRequest: 443 for requests made through node:https, else 80. */
  override get defaultPort(): number {
    return this.#defaultPort ?? (this.protocol === 'https:' ? 443 : 80);
  }

  override set defaultPort(value: number) {
    if (#defaultPort in this) this.#defaultPort = value;
  }

  /** Absolute-form connections go to the proxy, so they must never serve a tunnelled request. */
  override getName(options?: ConnectOpts): string {
    const name = super.getName(options);
    return options?.[ABSOLUTE] ? `${name}:absolute-form` : name;
  }

  /**
   * Opens the request's tunnel. It is aborted when the request is destroyed meanwhile (which
   * then fails as node:http reports it) and when the agent is closed or destroyed.
   */
  async connect(req: http.ClientRequest, opts: ConnectOpts): Promise<Duplex> {
    const watch = this.#requests.get(req) ?? watchRequest(req);
    if (watch.destroyed) {
      throw cancelledRequestError(
        watch.destroyed,
        new ChainError({
          code: 'ABORTED',
          phase: 'tcp',
          message: 'the request was destroyed before connecting',
        }),
      );
    }
    const link = this.#closing.link();
    watch.cancel = link.abort;
    try {
      return await this.#open(opts, link.signal);
    } catch (error) {
      throw watch.destroyed ? cancelledRequestError(watch.destroyed, error) : error;
    } finally {
      watch.cancel = undefined;
      link.release();
    }
  }

  async #open(opts: ConnectOpts, signal: AbortSignal): Promise<Duplex> {
    const timeoutMs = this.#timeoutMs;
    if (opts[ABSOLUTE] && this.#forwardHop) {
      const { socket, hop } = await this.#chain.connectToLastHop({ signal, timeoutMs });
      try {
        checkForwardHop(this.#forwardHop, hop);
      } catch (error) {
        socket.destroy();
        throw error;
      }
      this.#heads?.attach(socket);
      return socket;
    }
    const target = parseTarget({
      host: opts.host ?? 'localhost',
      port: opts.port ?? (opts.secureEndpoint ? 443 : 80),
    });
    const protocol = opts.secureEndpoint ? 'https:' : 'http:';
    const tunnel = await this.#chain.connect(target, { signal, timeoutMs, protocol });
    if (!opts.secureEndpoint) return tunnel;
    return unlessAborted(
      signal,
      connectTargetTls(tunnel, target, opts, this.#chain.options.hopTimeoutMs),
      () => tunnel.destroy(),
      () => abortedError(signal, 'tls', formatTarget(target)),
    );
  }

  /** Sockets released after close() are destroyed instead of pooled. */
  override keepSocketAlive(socket: Duplex): boolean {
    if (this.#closed) return false;
    // Node returns whether it kept the socket; @types/node says void.
    return super.keepSocketAlive(socket) as unknown as boolean;
  }

  /**
   * Frees every idle pooled tunnel now and aborts those still opening (their requests fail
   * with ChainError ABORTED); tunnels in use are closed when their request ends. Requests made
   * later still work, without pooling.
   */
  close(): void {
    this.#closed = true;
    this.#closing.abort('closed', true);
    for (const sockets of Object.values(this.freeSockets)) {
      for (const socket of sockets ?? []) socket.destroy();
    }
  }

  /** Destroys every socket (http.Agent#destroy) and aborts the tunnels still opening. */
  override destroy(): void {
    this.#closing.abort('destroyed', true);
    super.destroy();
  }
}

export function createAgent(chain: ChainConnector, options: ChainAgentOptions = {}): ChainAgent {
  return new ChainAgent(chain, options);
}
