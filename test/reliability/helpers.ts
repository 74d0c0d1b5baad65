/**
 * Tools for the reliability tests: the client sockets an attempt opened (seen through
 * node:diagnostics_channel, without touching the library), how long a promise took to
 * settle, and when a socket closed.
 */
import diagnostics from 'node:diagnostics_channel';
import type net from 'node:net';

const CLIENT_SOCKET = 'net.client.socket';

export interface SocketWatch {
  /** Every net.Socket created by net.connect() since the watch began, in order. */
  readonly sockets: net.Socket[];
  stop(): void;
}

/** Records every client socket this process opens until stop(): the library's and the fixtures'. */
export function watchSockets(): SocketWatch {
  const sockets: net.Socket[] = [];
  const onSocket = (message: unknown) => {
    sockets.push((message as { socket: net.Socket }).socket);
  };
  diagnostics.subscribe(CLIENT_SOCKET, onSocket);
  return { sockets, stop: () => diagnostics.unsubscribe(CLIENT_SOCKET, onSocket) };
}

export interface Settled<T> {
  value?: T;
  error?: unknown;
  ms: number;
}

/** Awaits a promise without throwing, and says how long it took. */
export async function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  const started = performance.now();
  try {
    const value = await promise;
    return { value, ms: performance.now() - started };
  } catch (error) {
    return { error, ms: performance.now() - started };
  }
}

/** Resolves when the socket has closed, or rejects after `ms`. */
export function closedWithin(socket: net.Socket, ms: number): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
