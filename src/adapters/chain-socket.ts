/**
 * `chain.createConnection(target)`: a net.Socket look-alike returned at once, that opens its
 * tunnel through the chain in the background and then relays. Database and protocol clients
 * (pg's `stream`, ioredis's Connector, mysql2's `stream`) want exactly that shape: a socket
 * that is not connected yet, emits 'connect' when it is, and takes writes before that. Written
 * here rather than taken from a library because the tunnel is ours: no npm package wraps an
 * async connect() into a socket with net.Socket's pending-state semantics.
 */

import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { ConnectOptions } from '../chain/connector.js';
import { parseTarget, type Target, type TargetInput } from '../target.js';

export interface ChainSocketOptions extends Pick<ConnectOptions, 'signal' | 'timeoutMs' | 'protocol'> {
  /** Like net.Socket's: keep the writable side open after the target's EOF. Default false. */
  allowHalfOpen?: boolean;
}

type Opener = (target: Target, options: ConnectOptions) => Promise<Socket>;

export class ChainSocket extends Duplex {
  #socket: Socket | undefined;
  #target: Target | undefined;
  #opening = false;
  readonly #open: Opener;
  readonly #options: ChainSocketOptions;
  readonly #abort = new AbortController();
  /** Writes made before the tunnel was up; their callbacks wait with them (backpressure). */
  #queued: { chunk: Buffer; callback: (error?: Error | null) => void }[] = [];
  #endQueued: (() => void) | undefined;
  /** Socket settings asked for before the tunnel was up, applied when it is. */
  #settings: ((socket: Socket) => void)[] = [];
  #bytesRead = 0;
  #bytesWritten = 0;

  constructor(open: Opener, target: TargetInput | undefined, options: ChainSocketOptions = {}) {
    super({ allowHalfOpen: options.allowHalfOpen ?? false });
    this.#open = open;
    this.#options = options;
    if (options.signal) {
      options.signal.addEventListener('abort', () => this.#abort.abort(options.signal?.reason), {
        once: true,
      });
    }
    if (target !== undefined) this.connect(target);
  }

  /**
   * Starts the tunnel: `connect(port, host)`, `connect({ port, host })` or a target; pg calls
   * it itself. A call while the tunnel is opening or open is ignored, as the target is fixed.
   */
  connect(portOrTarget: number | string | TargetInput, host?: string, listener?: () => void): this {
    if (typeof host === 'function') return this.connect(portOrTarget, undefined, host);
    if (listener) this.once('connect', listener);
    if (this.#opening || this.#socket || this.destroyed) return this;
    const target =
      typeof portOrTarget === 'number' || (typeof portOrTarget === 'string' && /^\d+$/.test(portOrTarget))
        ? { host: host ?? 'localhost', port: Number(portOrTarget) }
        : (portOrTarget as TargetInput);
    let parsed: Target;
    try {
      parsed = parseTarget(target);
    } catch (error) {
      process.nextTick(() => this.destroy(error as Error));
      return this;
    }
    this.#target = parsed;
    this.#opening = true;
    const { timeoutMs, protocol } = this.#options;
    this.#open(parsed, { signal: this.#abort.signal, timeoutMs, protocol }).then(
      (socket) => this.#attach(socket),
      (error: Error) => this.destroy(error),
    );
    return this;
  }

  #attach(socket: Socket): void {
    this.#opening = false;
    if (this.destroyed) {
      socket.destroy();
      return;
    }
    this.#socket = socket;
    for (const apply of this.#settings) apply(socket);
    this.#settings = [];
    socket.on('data', (chunk: Buffer) => {
      this.#bytesRead += chunk.length;
      if (!this.push(chunk)) socket.pause();
    });
    let ended = false;
    socket.once('end', () => {
      ended = true;
      this.push(null);
    });
    socket.on('error', (error) => this.destroy(error));
    // After an orderly end, bytes not read yet must survive: the stream closes itself when
    // both sides are done. A close without an end is a cut connection.
    socket.once('close', () => {
      if (!ended) this.destroy();
    });
    socket.on('timeout', () => this.emit('timeout'));
    socket.on('drain', () => this.emit('drain'));
    const queued = this.#queued;
    this.#queued = [];
    for (const { chunk, callback } of queued) this.#writeNow(chunk, callback);
    if (this.#endQueued) this.#endQueued();
    this.emit('connect');
    this.emit('ready');
  }

  #writeNow(chunk: Buffer, callback: (error?: Error | null) => void): void {
    this.#bytesWritten += chunk.length;
    (this.#socket as Socket).write(chunk, callback);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#socket) this.#writeNow(chunk, callback);
    else this.#queued.push({ chunk, callback });
  }

  override _final(callback: (error?: Error | null) => void): void {
    const end = () => {
      (this.#socket as Socket).end();
      callback();
    };
    if (this.#socket) end();
    else this.#endQueued = end;
  }

  override _read(): void {
    this.#socket?.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#opening = false;
    this.#abort.abort(error ?? undefined);
    this.#socket?.destroy();
    for (const { callback: cb } of this.#queued)
      cb(error ?? new Error('socket destroyed before the tunnel opened'));
    this.#queued = [];
    callback(error);
  }

  #apply(setting: (socket: Socket) => void): this {
    if (this.#socket) setting(this.#socket);
    else this.#settings.push(setting);
    return this;
  }

  setNoDelay(noDelay = true): this {
    return this.#apply((socket) => socket.setNoDelay(noDelay));
  }

  setKeepAlive(enable = false, initialDelay = 0): this {
    return this.#apply((socket) => socket.setKeepAlive(enable, initialDelay));
  }

  /** Idle timeout once the tunnel is up ('timeout' event, as net.Socket); setup has the chain's deadline. */
  setTimeout(ms: number, callback?: () => void): this {
    if (callback) (ms === 0 ? this.off : this.once).call(this, 'timeout', callback);
    return this.#apply((socket) => socket.setTimeout(ms));
  }

  ref(): this {
    return this.#apply((socket) => socket.ref());
  }

  unref(): this {
    return this.#apply((socket) => socket.unref());
  }

  /** True while the tunnel is opening, as net.Socket's `connecting`. */
  get connecting(): boolean {
    return this.#opening;
  }

  get pending(): boolean {
    return !this.#socket;
  }

  get readyState(): 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.destroyed) return 'closed';
    if (this.#opening) return 'opening';
    if (!this.#socket) return 'closed';
    if (this.readable && this.writable) return 'open';
    return this.readable ? 'readOnly' : this.writable ? 'writeOnly' : 'closed';
  }

  /** The target, as given (the far end of the tunnel), not the first hop's address. */
  get remoteAddress(): string | undefined {
    return this.#target?.host;
  }

  get remotePort(): number | undefined {
    return this.#target?.port;
  }

  get remoteFamily(): string | undefined {
    const host = this.#target?.host;
    return host === undefined
      ? undefined
      : host.includes(':')
        ? 'IPv6'
        : /^[\d.]+$/.test(host)
          ? 'IPv4'
          : undefined;
  }

  /** This machine's end of the connection to the first hop. */
  get localAddress(): string | undefined {
    return this.#socket?.localAddress;
  }

  get localPort(): number | undefined {
    return this.#socket?.localPort;
  }

  address(): ReturnType<Socket['address']> {
    return this.#socket?.address() ?? {};
  }

  get bytesRead(): number {
    return this.#bytesRead;
  }

  get bytesWritten(): number {
    return this.#bytesWritten;
  }
}
