/**
 * An HTTP proxy whose every onward connection a firewall drops: it answers only what it
 * decides by itself (like squid, a `400` to a CONNECT for port 0) and stays silent on
 * anything it would have to connect onward for. It records the requests it read.
 */
import net from 'node:net';

export interface EgressCutProxy {
  port: number;
  requests: string[];
  close(): Promise<void>;
}

export async function startEgressCutProxy(): Promise<EgressCutProxy> {
  const sockets = new Set<net.Socket>();
  const requests: string[] = [];
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let head = '';
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      requests.push(head);
      const authority = head.split(' ')[1] ?? '';
      if (authority.endsWith(':0')) socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
      head = '';
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
