/** The demo's own servers listen on an ephemeral port of 127.0.0.1, never on other interfaces. */
import type net from 'node:net';

/** Listens on 127.0.0.1 port 0 and resolves with the port the system gave. */
export function listenOnLoopback(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}
