// The common end of both bench proxies: connect to the destination, answer, then relay.
import net from 'node:net';

/**
 * Connects to host:port for `client`; on success writes `reply`, forwards the bytes the
 * client sent early (pipelined handshakes), and pipes both ways. `refuse` is written when
 * the destination cannot be reached.
 */
export function splice(client, host, port, leftover, reply, refuse) {
  client.pause();
  const upstream = net.connect({ host, port, noDelay: true });
  const fail = () => {
    upstream.destroy();
    if (!client.destroyed) client.end(refuse);
  };
  upstream.once('error', fail);
  upstream.once('connect', () => {
    upstream.off('error', fail);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.write(reply);
    if (leftover.length > 0) upstream.write(leftover);
    client.pipe(upstream);
    upstream.pipe(client);
  });
}

/** A server socket set up as every bench proxy wants it: no Nagle, errors swallowed. */
export function prepare(socket) {
  socket.setNoDelay(true);
  socket.on('error', () => socket.destroy());
}
