/**
 * An HTTPS proxy for the demo: TLS on the outside, and inside, each connection handed as-is
 * to a local plain HTTP proxy listener. A client sees one HTTPS proxy.
 */
import net from 'node:net';
import tls from 'node:tls';
import { listenOnLoopback } from './listen.js';

export interface TlsFront {
  port: number;
  close(): Promise<void>;
}

export async function startTlsFront(
  tlsOptions: { key: string; cert: string },
  innerPort: number,
): Promise<TlsFront> {
  const sockets = new Set<net.Socket>();
  const keep = (socket: net.Socket) => {
    sockets.add(socket);
    // Resets are routine when a tunnel ends; unhandled they would crash the demo.
    socket.on('error', () => socket.destroy());
    socket.once('close', () => sockets.delete(socket));
  };
  const server = tls.createServer(tlsOptions, (outer) => {
    keep(outer);
    const inner = net.connect({ host: '127.0.0.1', port: innerPort, noDelay: true });
    keep(inner);
    outer.setNoDelay(true);
    outer.pipe(inner).pipe(outer);
    outer.once('close', () => inner.destroy());
    inner.once('close', () => outer.destroy());
  });
  // A client that gives up on the certificate is part of the demo, not an error.
  server.on('tlsClientError', () => {});
  const port = await listenOnLoopback(server);
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
