/**
 * One tunnel's bookkeeping: opening it through the upstream (the chain, or a direct
 * connection), joining it to the client with byte counts, and the one log record at the end.
 */
import type net from 'node:net';
import type { TraceEntry } from '../dial/dial.js';
import { asChainError, ChainError } from '../errors.js';
import { formatTarget, type Target } from '../target.js';
import type { ListenerAuth } from './auth.js';
import type { ClientProtocol, ConnectionRecord, ListenerFailure } from './log.js';

/** Opens a connection to `target`: `chain.connect`, or `connectDirect` for no chain. */
export type UpstreamConnect = (
  target: Target,
  options: {
    signal: AbortSignal;
    trace: TraceEntry[];
    /** `'http:'` for forwarded http:// requests; undefined when the scheme is unknown (SOCKS, CONNECT). */
    protocol: string | undefined;
  },
) => Promise<net.Socket>;

/** Names the way to a target for the log: `2 hops`, `direct`. */
export type RouteLabel = string | ((target: Target, protocol: string | undefined) => string);

/** What the protocol handlers need from the server. */
export interface ListenerContext {
  readonly auth: ListenerAuth | undefined;
  readonly handshakeTimeoutMs: number;
  readonly connect: UpstreamConnect;
  readonly route: RouteLabel;
  readonly draining: boolean;
  emit(record: ConnectionRecord): void;
}

/** Bytes a client may send ahead while its tunnel opens (optimistic data, a TLS ClientHello). */
const MAX_READ_AHEAD = 64 * 1024;

export class Session {
  protocol: ClientProtocol | undefined;
  target: string | undefined;
  readonly trace: TraceEntry[] = [];
  bytesUp = 0;
  bytesDown = 0;
  readonly #ctx: ListenerContext;
  readonly #client: string;
  readonly #time = new Date();
  readonly #started = performance.now();
  #finished = false;
  readonly #early: Buffer[] = [];
  #route: string | undefined;

  constructor(ctx: ListenerContext, client: net.Socket, protocol?: ClientProtocol) {
    this.#ctx = ctx;
    this.#client = clientAddress(client);
    this.protocol = protocol;
  }

  /**
   * Opens the upstream connection; rejects with a ChainError, and aborts when the client
   * leaves. With `readAhead` the client's socket is read meanwhile (a paused socket would
   * never notice a reset); what it sends is kept, up to a cap, and goes first in relay().
   */
  async open(
    target: Target,
    client: net.Socket,
    { readAhead = false, protocol }: { readAhead?: boolean; protocol?: string } = {},
  ): Promise<net.Socket> {
    this.target = formatTarget(target);
    const { route } = this.#ctx;
    this.#route = typeof route === 'string' ? route : route(target, protocol);
    const controller = new AbortController();
    const onClose = () => controller.abort(new Error('the client went away'));
    client.once('close', onClose);
    let kept = 0;
    const keep = (chunk: Buffer) => {
      this.#early.push(chunk);
      kept += chunk.length;
      // Past the cap, stop reading: TCP backpressure holds the rest at the client.
      if (kept >= MAX_READ_AHEAD) client.pause();
    };
    if (readAhead) client.on('data', keep);
    try {
      const upstream = await this.#ctx.connect(target, {
        signal: controller.signal,
        trace: this.trace,
        protocol,
      });
      if (client.destroyed) {
        upstream.destroy();
        throw new ChainError({
          code: 'ABORTED',
          phase: 'handshake',
          target: this.target,
          message: 'the client went away while the tunnel was opening',
        });
      }
      return upstream;
    } catch (error) {
      throw asChainError(error, this.target);
    } finally {
      client.off('close', onClose);
      if (readAhead) {
        client.off('data', keep);
        client.pause();
      }
    }
  }

  /** Joins client and upstream both ways; the record is written once both are closed. */
  relay(client: net.Socket, upstream: net.Socket): void {
    upstream.setNoDelay(true);
    for (const chunk of this.#early.splice(0)) {
      this.bytesUp += chunk.length;
      upstream.write(chunk);
    }
    client.on('data', (chunk: Buffer) => {
      this.bytesUp += chunk.length;
    });
    upstream.on('data', (chunk: Buffer) => {
      this.bytesDown += chunk.length;
    });
    const destroyBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', destroyBoth);
    upstream.on('error', destroyBoth);
    // A FIN that arrived while the tunnel was opening was already consumed: pipe() would never pass it on.
    if (client.readableEnded) upstream.end();
    else client.pipe(upstream);
    upstream.pipe(client);
    // The target is gone: let our FIN to the client flush (pipe sent it), then close the socket,
    // so a client that never closes its side cannot hold it open.
    upstream.once('close', () => {
      client.end();
      if (client.writableFinished) client.destroy();
      else client.once('finish', () => client.destroy());
    });
    client.once('close', () => upstream.destroy());
    let open = 2;
    const closed = () => {
      open -= 1;
      if (open === 0) this.finish('ok');
    };
    client.once('close', closed);
    upstream.once('close', closed);
  }

  /** Writes the record (once): `ok`, the chain's failure, or why the listener refused the client. */
  finish(result: 'ok' | ListenerFailure | ChainError, detail?: string): void {
    if (this.#finished) return;
    this.#finished = true;
    const error = typeof result === 'object' ? result : undefined;
    this.#ctx.emit({
      time: this.#time,
      client: this.#client,
      protocol: this.protocol,
      target: this.target,
      route: this.#route ?? routeName(this.#ctx.route),
      result: error ? error.code : (result as 'ok' | ListenerFailure),
      error,
      detail,
      bytesUp: this.bytesUp,
      bytesDown: this.bytesDown,
      durationMs: performance.now() - this.#started,
      trace: this.trace,
    });
  }
}

export function clientAddress(socket: net.Socket): string {
  const address = socket.remoteAddress ?? '?';
  return `${address.includes(':') ? `[${address}]` : address}:${socket.remotePort ?? '?'}`;
}

/** The label of a route when no target is known yet (refused clients). */
export function routeName(route: RouteLabel): string {
  return typeof route === 'string' ? route : 'the chain';
}

/** How long a refused client may keep its side open after our last word. */
const LINGER_MS = 2000;

/**
 * Sends the last bytes and closes. What the client still sends is read and dropped, so its
 * FIN is seen (a paused socket would never notice) and unread data cannot turn our close
 * into a reset that destroys the reply; a client that never closes its side is cut after
 * LINGER_MS.
 */
export function closeGently(socket: net.Socket, data?: string | Buffer): void {
  if (socket.destroyed || socket.writableEnded) return;
  if (data === undefined) socket.end();
  else socket.end(data);
  socket.resume();
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  socket.once('close', () => clearTimeout(timer));
}
