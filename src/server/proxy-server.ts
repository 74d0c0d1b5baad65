/**
 * A local proxy server: SOCKS and/or HTTP listeners that send every connection to one
 * upstream — the chain (serve.ts), or straight to the target (`connectDirect`). It owns
 * the bind-safety check, the shared connection limit and graceful shutdown.
 */

import type net from 'node:net';
import type { AddressInfo } from 'node:net';
import { integer, invalid, milliseconds } from '../validate.js';
import { checkAuth, type ListenerAuth } from './auth.js';
import { createHttpServer } from './http-listener.js';
import {
  checkBindSafety,
  type ListenerKind,
  type ListenSpec,
  listenerUrl,
  parseListenUrl,
} from './listen-url.js';
import type { ConnectionRecord } from './log.js';
import {
  clientAddress,
  type ListenerContext,
  type RouteLabel,
  routeName,
  type UpstreamConnect,
} from './session.js';
import { createSocksServer } from './socks-listener.js';

export interface ProxyServerOptions {
  /** `socks5://HOST:PORT` (SOCKS4/4a/5 on one port) and/or `http://HOST:PORT`; port 0 picks one. */
  listen: string | readonly string[];
  /** Where each connection goes: e.g. `(target, o) => chain.connect(target, o)`, or `connectDirect`. */
  connect: UpstreamConnect;
  /** Credentials clients must give: SOCKS5 username/password, HTTP Basic Proxy-Authorization. */
  auth?: ListenerAuth | undefined;
  /** Bind a non-loopback address without `auth`. Default false: refused. */
  allowPublic?: boolean | undefined;
  /** Client connections open at once, over all listeners; more are turned away. Default 512. */
  maxConnections?: number | undefined;
  /** Time a client has to finish its request (and auth). Default 10000 ms. */
  handshakeTimeoutMs?: number | undefined;
  /** How long `close()` lets open tunnels finish before cutting them. Default 10000 ms. */
  drainTimeoutMs?: number | undefined;
  /** Names the upstream in records: e.g. `2 hops`, or a function of the target. Default `direct`. */
  route?: RouteLabel | undefined;
  /** Called once per tunnel (or refused client) when it ends. */
  onConnection?: ((record: ConnectionRecord) => void) | undefined;
}

export interface ProxyServer {
  /** The bound addresses, in the order of `listen`. */
  address(): AddressInfo[];
  /** The listeners as URLs with the bound ports, e.g. `socks5://127.0.0.1:40123`. */
  urls(): string[];
  /** Client connections open now. */
  readonly connections: number;
  /**
   * Stops accepting, lets open tunnels finish for up to `drainTimeoutMs`, then cuts the
   * rest. Resolves with how many were cut.
   */
  close(options?: { drainTimeoutMs?: number }): Promise<{ cut: number }>;
}

/** Thrown when a listener cannot bind (address in use, no permission). */
export class ListenError extends Error {
  override name = 'ListenError';
  constructor(
    readonly url: string,
    readonly code: string | undefined,
    cause: unknown,
  ) {
    super(`cannot listen on ${url}: ${code ?? String(cause)}`, { cause });
  }
}

export const SERVER_DEFAULTS = { maxConnections: 512, handshakeTimeoutMs: 10_000, drainTimeoutMs: 10_000 };

export async function startProxyServer(options: ProxyServerOptions): Promise<ProxyServer> {
  const specs = (typeof options.listen === 'string' ? [options.listen] : [...(options.listen ?? [])]).map(
    parseListenUrl,
  );
  if (specs.length === 0) throw invalid('give at least one listen address, e.g. socks5://127.0.0.1:1080');
  if (typeof options.connect !== 'function') throw invalid('connect must be a function (target, options)');
  if (options.auth !== undefined) checkAuth(options.auth);
  for (const spec of specs) checkBindSafety(spec, options.auth !== undefined, options.allowPublic === true);
  const maxConnections =
    options.maxConnections === undefined
      ? SERVER_DEFAULTS.maxConnections
      : integer(options.maxConnections, { name: 'maxConnections', min: 1 });
  const drainDefault = duration(
    options.drainTimeoutMs,
    SERVER_DEFAULTS.drainTimeoutMs,
    'drainTimeoutMs',
    true,
  );
  const sockets = new Set<net.Socket>();
  let draining = false;
  let onEmpty: (() => void) | undefined;
  const ctx: ListenerContext = {
    auth: options.auth,
    handshakeTimeoutMs: duration(
      options.handshakeTimeoutMs,
      SERVER_DEFAULTS.handshakeTimeoutMs,
      'handshakeTimeoutMs',
    ),
    connect: options.connect,
    route: options.route ?? 'direct',
    get draining() {
      return draining;
    },
    emit: (record) => options.onConnection?.(record),
  };
  /** Counts the socket in, or says why it is turned away. */
  const admit = (socket: net.Socket): string | undefined => {
    // Resets from clients are routine; without a listener they would crash the process.
    socket.on('error', () => {});
    if (sockets.size >= maxConnections) {
      ctx.emit(refusedRecord(socket, routeName(ctx.route), maxConnections));
      return `too many connections (limit ${maxConnections})`;
    }
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      if (sockets.size === 0) onEmpty?.();
    });
    return undefined;
  };
  const servers: Array<{ server: net.Server; spec: ListenSpec }> = [];
  try {
    for (const spec of specs) {
      const server =
        spec.kind === 'socks'
          ? createSocksServer(ctx, (socket) => {
              if (admit(socket) === undefined) return true;
              socket.destroy();
              return false;
            })
          : createHttpServer(ctx, admit);
      await bind(server, spec);
      servers.push({ server, spec });
    }
  } catch (error) {
    await Promise.all(servers.map(({ server }) => closeServer(server)));
    throw error;
  }

  let closing: Promise<{ cut: number }> | undefined;
  let hurry: (() => void) | undefined;
  return {
    address: () => servers.map(({ server }) => server.address() as AddressInfo),
    urls: () => servers.map(({ server, spec }) => boundUrl(spec.kind, server)),
    get connections() {
      return sockets.size;
    },
    close(closeOptions = {}) {
      const limit = duration(closeOptions.drainTimeoutMs, drainDefault, 'drainTimeoutMs', true);
      // A second close() with no drain time (a second Ctrl-C) cuts what is left at once.
      if (closing) {
        if (limit === 0) hurry?.();
        return closing;
      }
      closing = (async () => {
        draining = true;
        const closed = Promise.all(servers.map(({ server }) => closeServer(server)));
        for (const { server } of servers)
          (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
        if (sockets.size > 0 && limit > 0) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, limit);
            onEmpty = hurry = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
        const cut = sockets.size;
        for (const socket of sockets) socket.destroy();
        await closed;
        return { cut };
      })();
      return closing;
    },
  };
}

function bind(server: net.Server, spec: ListenSpec): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) =>
      reject(new ListenError(listenerUrl(spec.kind, spec.host, spec.port), error.code, error));
    server.once('error', onError);
    server.listen({ host: spec.host, port: spec.port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

function boundUrl(kind: ListenerKind, server: net.Server): string {
  const address = server.address() as AddressInfo;
  return listenerUrl(kind, address.address, address.port);
}

function refusedRecord(socket: net.Socket, route: string, limit: number): ConnectionRecord {
  return {
    time: new Date(),
    client: clientAddress(socket),
    protocol: undefined,
    target: undefined,
    route,
    result: 'TOO_MANY_CONNECTIONS',
    error: undefined,
    detail: `limit ${limit}`,
    bytesUp: 0,
    bytesDown: 0,
    durationMs: 0,
    trace: [],
  };
}

function duration(value: number | undefined, fallback: number, name: string, zeroOk = false): number {
  return value === undefined ? fallback : milliseconds(value, { name, zeroOk });
}
