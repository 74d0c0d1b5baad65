/**
 * The undici Dispatcher over the chain, for fetch (Node's global one, whose bundled undici
 * may be older, and undici's) and undici.request. Two undici pools do the work:
 * - tunnels: an Agent whose connect opens a tunnel to the target and, for https, runs TLS to
 *   the target over it (undici's buildConnector with `httpSocket`, so SNI and certificate
 *   checks name the target);
 * - forwarding: for plain http:// behind an HTTP proxy last hop, a Pool of connections to
 *   that proxy carrying absolute-form requests.
 * A custom connect skips undici's connect timeout: the chain's deadlines apply instead.
 * undici tells a connector nothing of the requests waiting for it: the requests are tracked
 * (waiting-requests.ts) so that a tunnel every waiting request gave up on is aborted, and
 * close() and destroy() abort the tunnels still opening.
 */
import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { Agent, buildConnector, Dispatcher, Pool } from 'undici';
import type { ChainConnector } from '../chain/connector.js';
import { ChainError } from '../errors.js';
import type { Hop } from '../hop.js';
import { formatTarget, parseTarget } from '../target.js';
import { abortedError, Closing, unlessAborted } from './abort.js';
import { httpOrigin, rewriteDispatch } from './absolute-form.js';
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
import { guardHandler, proxyAuthError } from './proxy-reply.js';
import { targetTlsError, untrustedPeer } from './target-tls.js';
import { originKey, WaitingRequests } from './waiting-requests.js';

export interface ChainDispatcherOptions extends Omit<Agent.Options, 'connect' | 'factory'> {
  /** CA for https targets. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Verify https targets' certificates. Default true. */
  rejectUnauthorized?: boolean;
  /** Plain http:// targets behind an HTTP proxy last hop: absolute-form (default) or CONNECT. */
  forwarding?: HttpForwarding;
  /** Deadline for opening a tunnel, in ms. Default: the chain's `timeoutMs`. */
  timeoutMs?: number;
}

type Connector = buildConnector.connector;
type ConnectOptions = buildConnector.Options;
type Handler = Dispatcher.DispatchHandler;

/** A dispatch's origin: its text, parsed (never changed), and its key for WaitingRequests. */
interface ParsedOrigin {
  readonly text: string;
  readonly url: URL;
  readonly key: string;
}

/** The key under which requests to the forwarding proxy wait (one origin: the last hop). */
const FORWARD = 'forward';

// Events of the inner pools that callers of a Dispatcher may listen to.
const EVENTS = ['connect', 'disconnect', 'connectionError', 'drain'] as const;

export class ChainDispatcher extends Dispatcher {
  readonly #chain: ChainConnector;
  readonly #tunnels: Agent;
  readonly #forward: Pool | undefined;
  readonly #forwardHop: Hop | undefined;
  readonly #forwardIndex: number;
  readonly #authorization: string | undefined;
  readonly #closing = new Closing('dispatcher');
  readonly #waiting = new WaitingRequests();
  #lastOrigin: ParsedOrigin | undefined;

  constructor(chain: ChainConnector, options: ChainDispatcherOptions = {}) {
    super();
    this.#chain = chain;
    const { ca, rejectUnauthorized, forwarding, timeoutMs, ...poolOptions } = options;
    checkCount(poolOptions.connections ?? undefined, 'connections');
    checkTimeout(timeoutMs, 'timeoutMs');
    const hop = absoluteFormHop(chain, forwardingMode(chain, forwarding));
    // Certificates are verified after the handshake (untrustedPeer), so errors can name the issuer.
    const tls = buildConnector({
      ...(ca === undefined ? {} : { ca }),
      rejectUnauthorized: false,
      timeout: chain.options.hopTimeoutMs,
    });
    const verify = rejectUnauthorized !== false;
    this.#tunnels = new Agent({
      ...poolOptions,
      connect: tunnelConnector(chain, tls, verify, timeoutMs, this.#closing, this.#waiting),
    });
    this.#forward = hop
      ? new Pool(httpOrigin(hop.host, hop.port), {
          ...poolOptions,
          connect: forwardConnector(chain, hop, timeoutMs, this.#closing, this.#waiting),
        })
      : undefined;
    this.#forwardHop = hop;
    this.#forwardIndex = chain.hops.length - 1;
    this.#authorization = hop ? proxyAuthorization(hop) : undefined;
    const self = this as EventEmitter;
    for (const inner of [this.#tunnels, this.#forward] as Array<EventEmitter | undefined>) {
      for (const event of EVENTS) inner?.on(event, (...args: unknown[]) => self.emit(event, ...args));
    }
  }

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Handler): boolean {
    const origin = opts.origin === undefined ? undefined : this.#parse(opts.origin);
    const forward = this.#forward;
    const hop = this.#forwardHop;
    if (
      forward &&
      hop &&
      origin &&
      !opts.upgrade &&
      opts.method !== 'CONNECT' &&
      this.#forwards(origin.url)
    ) {
      const guarded = guardHandler(handler, proxyAuthError(hop, this.#forwardIndex, origin.url.host));
      return forward.dispatch(
        rewriteDispatch(opts, this.#authorization, origin.url),
        this.#waiting.track(FORWARD, guarded),
      );
    }
    const upgrade = Boolean(opts.upgrade) || opts.method === 'CONNECT';
    const tracked = origin ? this.#waiting.track(origin.key, handler, upgrade) : handler;
    // A fresh copy, as undici's own ProxyAgent passes on: handed through as is, the caller's
    // object made undici's Request constructor ~3 µs slower per request (profiled; V8 shapes).
    return this.#tunnels.dispatch({ ...opts }, tracked);
  }

  /** The origin parsed; the last one is kept, as requests mostly repeat it (new URL: ~1 µs). */
  #parse(origin: NonNullable<Dispatcher.DispatchOptions['origin']>): ParsedOrigin {
    const text = String(origin);
    const last = this.#lastOrigin;
    if (last?.text === text) return last;
    const url = new URL(text);
    this.#lastOrigin = { text, url, key: originKey(url.protocol, url.hostname, url.port) };
    return this.#lastOrigin;
  }

  /** Plain http:// origins the chain proxies go in absolute-form. */
  #forwards(origin: URL): boolean {
    return origin.protocol === 'http:' && proxied(this.#chain, origin.hostname, origin.port);
  }

  /**
   * Aborts the tunnels still opening (the requests waiting for them fail with ChainError
   * ABORTED as cause), waits for requests in flight, then closes every pooled tunnel.
   */
  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    this.#closing.abort('closed', false);
    const done = Promise.all([this.#tunnels.close(), this.#forward?.close()]).then(() => {});
    if (!callback) return done;
    done.then(callback, callback);
  }

  /** Closes every tunnel now and aborts those still opening; requests in flight fail with `error`. */
  override destroy(): Promise<void>;
  override destroy(error: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(error: Error | null, callback: () => void): void;
  override destroy(first?: Error | null | (() => void), second?: () => void): Promise<void> | void {
    const error = typeof first === 'function' ? null : (first ?? null);
    const callback = typeof first === 'function' ? first : second;
    this.#closing.abort('destroyed', false);
    const done = Promise.all([this.#tunnels.destroy(error), this.#forward?.destroy(error)]).then(() => {});
    if (!callback) return done;
    done.then(callback, callback);
  }
}

/** Opens a tunnel to the request's origin; TLS to the target on top for https. */
function tunnelConnector(
  chain: ChainConnector,
  tls: Connector,
  verify: boolean,
  timeoutMs: number | undefined,
  closing: Closing,
  waiting: WaitingRequests,
): Connector {
  return (opts, callback) => {
    const link = closing.link();
    const release = waiting.opening(originKey(opts.protocol, opts.hostname, opts.port), link.abort);
    openTunnel(chain, tls, verify, opts, timeoutMs, link.signal)
      .finally(() => {
        release();
        link.release();
      })
      .then(
        (socket) => callback(null, socket),
        (error: Error) => callback(error, null),
      );
  };
}

async function openTunnel(
  chain: ChainConnector,
  tls: Connector,
  verify: boolean,
  opts: ConnectOptions,
  timeoutMs: number | undefined,
  signal: AbortSignal,
): Promise<Socket> {
  const secure = opts.protocol === 'https:';
  const target = parseTarget({ host: opts.hostname, port: Number(opts.port) || (secure ? 443 : 80) });
  const tunnel = await chain.connect(target, { signal, timeoutMs, protocol: opts.protocol });
  if (!secure) return tunnel;
  const handshake = new Promise<Socket>((resolve, reject) => {
    tls({ ...opts, httpSocket: tunnel }, (error, socket) => {
      const failure = error ?? (verify ? untrustedPeer(socket as TLSSocket) : undefined);
      if (!failure) return resolve(socket as Socket);
      socket?.destroy();
      tunnel.destroy();
      reject(failure instanceof ChainError ? failure : targetTlsError(failure, target));
    });
  });
  return unlessAborted(
    signal,
    handshake,
    () => tunnel.destroy(),
    () => abortedError(signal, 'tls', formatTarget(target)),
  );
}

/** Opens a connection to the last hop itself (TLS done for https://) for absolute-form requests. */
function forwardConnector(
  chain: ChainConnector,
  expected: Hop,
  timeoutMs: number | undefined,
  closing: Closing,
  waiting: WaitingRequests,
): Connector {
  return (_opts, callback) => {
    const link = closing.link();
    const release = waiting.opening(FORWARD, link.abort);
    const done = () => {
      release();
      link.release();
    };
    chain
      .connectToLastHop({ signal: link.signal, timeoutMs })
      .finally(done)
      .then(
        ({ socket, hop }) => {
          try {
            checkForwardHop(expected, hop);
          } catch (error) {
            socket.destroy();
            return callback(error as ChainError, null);
          }
          callback(null, socket);
        },
        (error: Error) => callback(error, null),
      );
  };
}

export function createDispatcher(
  chain: ChainConnector,
  options: ChainDispatcherOptions = {},
): ChainDispatcher {
  return new ChainDispatcher(chain, options);
}
