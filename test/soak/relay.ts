/**
 * A TCP relay on a port of its own in front of a proxy fixture, so the soak can kill that
 * hop and bring it back at the same address: kill() cuts every connection through it (FIN
 * or RST, as a dying process's sockets end) and stops listening, so new connections are
 * refused; restart() listens on the same port again.
 */
import net from 'node:net';

export interface Relay {
  readonly port: number;
  readonly up: boolean;
  /** Connections cut by kills so far. */
  readonly cut: number;
  kill(reset: boolean): Promise<void>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startRelay(backendPort: number): Promise<Relay> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  let up = false;
  let cut = 0;
  const server = net.createServer((client) => {
    const backend = net.connect({ host: '127.0.0.1', port: backendPort, noDelay: true });
    const pair: [net.Socket, net.Socket] = [client, backend];
    pairs.add(pair);
    client.setNoDelay(true);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      backend.destroy();
    };
    for (const socket of pair) {
      socket.on('error', end);
      socket.on('close', end);
    }
    client.pipe(backend);
    backend.pipe(client);
  });
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        up = true;
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      up = false;
      server.close(() => resolve());
    });
  const port = await listen(0);

  const relay: Relay = {
    port,
    get up() {
      return up;
    },
    get cut() {
      return cut;
    },
    async kill(reset) {
      const closed = stop();
      for (const pair of [...pairs]) {
        cut++;
        pairs.delete(pair);
        if (reset) pair[0].resetAndDestroy();
        else pair[0].destroy();
        pair[1].destroy();
      }
      await closed;
    },
    async restart() {
      if (!up) await listen(port);
    },
    async close() {
      await relay.kill(false);
    },
  };
  return relay;
}
