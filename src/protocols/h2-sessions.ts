/**
 * HTTP/2 connections to https:// hops at position 1, shared by the tunnels of one chain.
 * Each tunnel is one CONNECT stream (RFC 9113 §8.5, h2-connect.ts), so the second and later
 * tunnels through a hop skip TCP and TLS. Node's own http2 client does framing, HPACK and
 * flow control; this file only decides which connection a tunnel rides on:
 *
 * - one connection is being set up at a time per hop: tunnels that arrive meanwhile wait for
 *   it instead of each opening their own;
 * - a connection takes at most `maxStreams` tunnels (or fewer when the proxy's
 *   SETTINGS_MAX_CONCURRENT_STREAMS says so); past that a second one is opened;
 * - a connection that got GOAWAY, failed or closed takes no new tunnel;
 * - an idle connection (no tunnel) is closed after `idleMs`, and never keeps the process alive;
 * - `close()` (the chain's) closes them all; tunnels still open finish first.
 *
 * When the proxy does not pick h2 by ALPN, the TLS connection is handed back for HTTP/1.1 and
 * the hop is remembered as HTTP/1.1 (for this chain): later tunnels take the usual path.
 */
import http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import type tls from 'node:tls';
import { ChainError } from '../errors.js';
import type { Hop } from '../hop.js';

export interface H2Limits {
  /** Tunnels (streams) per connection before a second connection is opened. */
  maxStreams: number;
  /** A connection with no tunnel is closed after this long. */
  idleMs: number;
}

export const H2_LIMITS: H2Limits = { maxStreams: 100, idleMs: 30_000 };

/** Receive windows: Node's defaults (64 KiB) would cap a tunnel at 64 KiB per round trip. */
const STREAM_WINDOW = 1024 * 1024;
const CONNECTION_WINDOW = 16 * 1024 * 1024;
/** How long a new connection may take to send its SETTINGS (RFC 9113 §3.4: its first frame). */
const SETTINGS_TIMEOUT_MS = 10_000;

export class H2Session {
  readonly session: http2.ClientHttp2Session;
  /** Tunnels open on it; `referenced`: those that keep the process alive (not unref()'d). */
  active = 0;
  referenced = 0;
  usable = true;
  #idle: NodeJS.Timeout | undefined;
  readonly #limits: H2Limits;

  constructor(session: http2.ClientHttp2Session, limits: H2Limits) {
    this.session = session;
    this.#limits = limits;
  }

  hasRoom(): boolean {
    const peer = this.session.remoteSettings.maxConcurrentStreams ?? Number.POSITIVE_INFINITY;
    return this.usable && !this.session.closed && this.active < Math.min(this.#limits.maxStreams, peer);
  }

  /** A tunnel starts on this connection (counted before its stream exists, so caps hold). */
  take(): void {
    this.active++;
    this.#idle = clear(this.#idle);
    this.reference(1);
  }

  /** A tunnel ended (or never opened). */
  give(referenced: boolean): void {
    this.active--;
    if (referenced) this.reference(-1);
    if (this.active === 0 && !this.session.closed) {
      this.#idle = setTimeout(() => this.session.close(), this.#limits.idleMs);
      this.#idle.unref();
    }
  }

  /** Keeps the process alive while at least one tunnel on it is referenced. */
  reference(delta: number): void {
    this.referenced += delta;
    if (this.referenced > 0) this.session.ref();
    else this.session.unref();
  }

  retire(): void {
    this.usable = false;
    this.#idle = clear(this.#idle);
  }
}

function clear(timer: NodeJS.Timeout | undefined): undefined {
  clearTimeout(timer);
  return undefined;
}

/** A new connection to the hop: TCP and TLS with ALPN, every socket passed to `track`. */
export type OpenTls = (alpn: string[]) => Promise<tls.TLSSocket>;

export type Acquired =
  | { kind: 'h2'; entry: H2Session }
  /** The proxy chose HTTP/1.1 on this new connection: it is the caller's now. */
  | { kind: 'http1'; socket: tls.TLSSocket }
  /** Known to speak HTTP/1.1 only: dial it the usual way. */
  | { kind: 'none' };

export class H2Sessions {
  readonly #limits: H2Limits;
  readonly #sessions = new Map<Hop, H2Session[]>();
  readonly #pending = new Map<Hop, Promise<H2Session | undefined>>();
  readonly #http1 = new WeakSet<Hop>();

  constructor(limits: Partial<H2Limits> = {}) {
    this.#limits = { ...H2_LIMITS, ...limits };
  }

  /** Whether `hop` is (still) a candidate for HTTP/2 in this chain. */
  wants(hop: Hop): boolean {
    return hop.protocol === 'https' && !!hop.http2 && !this.#http1.has(hop);
  }

  /**
   * A connection with room for one more tunnel (already counted), opening one if needed.
   * `index`: the hop's position in chain.hops, for errors.
   */
  async acquire(hop: Hop, open: OpenTls, index = 0): Promise<Acquired> {
    for (;;) {
      const ready = this.#sessions.get(hop)?.find((entry) => entry.hasRoom());
      if (ready) {
        ready.take();
        return { kind: 'h2', entry: ready };
      }
      const pending = this.#pending.get(hop);
      if (pending) {
        // Waiters share the first tunnel's connection; its failure is theirs too.
        if ((await pending) === undefined && this.#http1.has(hop)) return { kind: 'none' };
        continue;
      }
      if (this.#http1.has(hop)) return { kind: 'none' };
      const created = this.#create(hop, open, index);
      // Never rejects: a waiter whose creator failed tries on its own.
      const shared: Promise<H2Session | undefined> = created
        .then(
          (result) => (result.kind === 'h2' ? result.entry : undefined),
          () => undefined,
        )
        .finally(() => {
          if (this.#pending.get(hop) === shared) this.#pending.delete(hop);
        });
      this.#pending.set(hop, shared);
      const result = await created;
      if (result.kind === 'h2') result.entry.take();
      return result;
    }
  }

  async #create(hop: Hop, open: OpenTls, index: number): Promise<Acquired> {
    const socket = await open(hop.http2 === true ? ['h2'] : ['h2', 'http/1.1']);
    if (socket.alpnProtocol !== 'h2') {
      if (hop.http2 !== true) {
        this.#http1.add(hop);
        return { kind: 'http1', socket };
      }
      socket.destroy();
      throw new ChainError({
        code: 'PROTOCOL_ERROR',
        phase: 'tls',
        hopIndex: index,
        hop: hop.url,
        message: `hop ${index + 1} (${hop.url}) did not pick HTTP/2 by ALPN (got ${socket.alpnProtocol || 'none'}) and the hop has http2: true: use http2: 'auto' to fall back to HTTP/1.1`,
      });
    }
    const session = http2.connect(`https://${hop.host}:${hop.port}`, {
      createConnection: () => socket as unknown as Duplex,
      settings: { enablePush: false, initialWindowSize: STREAM_WINDOW },
    });
    const entry = new H2Session(session, this.#limits);
    const forget = () => {
      entry.retire();
      const left = (this.#sessions.get(hop) ?? []).filter((e) => e !== entry);
      if (left.length > 0) this.#sessions.set(hop, left);
      else this.#sessions.delete(hop);
    };
    // GOAWAY: no new stream here; Node closes the session once its streams are done.
    session.on('goaway', forget);
    session.on('close', forget);
    // A connection error also surfaces on each stream (h2-connect.ts maps it); here it only
    // retires the connection, and an 'error' without a listener would crash the process.
    session.on('error', forget);
    session.once('connect', () => session.setLocalWindowSize(CONNECTION_WINDOW));
    // The proxy's SETTINGS (its stream cap) come right after TLS: wait for them before anyone
    // uses the connection, so that a burst of tunnels is spread over connections instead of
    // being refused past the cap. A proxy that never sends them is given up on.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => session.destroy(), SETTINGS_TIMEOUT_MS);
      const failed = () => {
        clearTimeout(timer);
        reject(lostWhileOpening(hop, index));
      };
      session.once('remoteSettings', () => {
        clearTimeout(timer);
        session.off('close', failed);
        resolve();
      });
      session.once('close', failed);
    });
    const list = this.#sessions.get(hop) ?? [];
    list.push(entry);
    this.#sessions.set(hop, list);
    return { kind: 'h2', entry };
  }

  /** Closes every connection: no new tunnel on them; those open finish first. A later tunnel opens a new one. */
  close(): void {
    for (const list of this.#sessions.values()) {
      for (const entry of list) {
        entry.retire();
        entry.session.close();
      }
    }
    this.#sessions.clear();
  }
}

function lostWhileOpening(hop: Hop, index: number): ChainError {
  return new ChainError({
    code: 'HOP_UNREACHABLE',
    phase: 'handshake',
    hopIndex: index,
    hop: hop.url,
    message: `hop ${index + 1} (${hop.url}) closed the HTTP/2 connection before its SETTINGS`,
  });
}
