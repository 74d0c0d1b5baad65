/** HTTP CONNECT replies as real proxies send them: split, with interim responses, with bare LF. */
import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Chain } from '../../../src/index.js';
import { type Fixture, startEchoServer } from '../../fixtures/index.js';
import { echo } from '../../helpers.js';

let target: Fixture;
const servers: net.Server[] = [];

beforeAll(async () => {
  target = await startEchoServer();
});
afterAll(async () => {
  await target.close();
  for (const server of servers) server.close();
});

/** A proxy that answers every CONNECT with `reply` (in the given pieces), then relays to the target. */
async function scripted(pieces: string[]): Promise<number> {
  const server = net.createServer((client) => {
    client.once('data', async () => {
      client.pause();
      for (const piece of pieces) {
        client.write(piece);
        await new Promise((r) => setTimeout(r, 5));
      }
      const upstream = net.connect(target.port, '127.0.0.1');
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

it.each([
  ['bare LF line endings', ['HTTP/1.0 200 OK\n\n']],
  ['a status line split across packets', ['HT', 'TP/1.1 2', '00 Connection established\r', '\n\r\n']],
  ['an interim 100 Continue before the 200', ['HTTP/1.1 100 Continue\r\n\r\n', 'HTTP/1.1 200 OK\r\n\r\n']],
  ['headers, then the blank line alone', ['HTTP/1.1 200 OK\r\nVia: 1.1 squid\r\n', '\r\n']],
])('%s opens the tunnel', async (_name, pieces) => {
  const port = await scripted(pieces);
  const socket = await new Chain([`http://127.0.0.1:${port}`], { hopTimeoutMs: 1000 }).connect({
    host: '127.0.0.1',
    port: target.port,
  });
  expect(await echo(socket, 'tunnel')).toBe('tunnel');
  socket.destroy();
});
