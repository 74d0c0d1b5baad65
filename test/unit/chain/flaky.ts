/** A TCP forwarder that drops its first connections: a proxy that is down, then back. */
import net from 'node:net';

export interface Flaky {
  port: number;
  /** performance.now() of every accepted connection. */
  accepted: number[];
  close(): Promise<void>;
}

/** Forwards to 127.0.0.1:`upstream` after destroying the first `failFirst` connections. */
export async function startFlaky(upstream: number, failFirst: number): Promise<Flaky> {
  const accepted: number[] = [];
  const sockets = new Set<net.Socket>();
  const keep = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
  };
  const server = net.createServer((client) => {
    keep(client);
    accepted.push(performance.now());
    if (accepted.length <= failFirst) return void client.destroy();
    const target = net.connect({ host: '127.0.0.1', port: upstream });
    keep(target);
    client.pipe(target).pipe(client);
    target.once('close', () => client.destroy());
    client.once('close', () => target.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
