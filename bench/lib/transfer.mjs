// Byte-counting consumers for the throughput benchmark: each resolves with the bytes received.
import http from 'node:http';
import net from 'node:net';
import { request } from 'undici';

/** GET over a raw socket (a tunnel, or a direct connection): counts every byte until the close. */
export function rawGet(socket, url) {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    socket.on('data', (chunk) => {
      bytes += chunk.length;
    });
    socket.once('error', reject);
    socket.once('close', () => resolve(bytes));
    socket.write(`GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`);
  });
}

export function directSocket(url) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port) });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** node:http through `agent`: counts the body bytes. */
export function agentGet(url, agent) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        let bytes = 0;
        res.on('data', (chunk) => {
          bytes += chunk.length;
        });
        res.once('end', () => resolve(bytes));
        res.once('error', reject);
      })
      .once('error', reject);
  });
}

/** undici.request through `dispatcher`: counts the body bytes. */
export async function dispatcherGet(url, dispatcher) {
  const { body } = await request(url, { dispatcher });
  let bytes = 0;
  for await (const chunk of body) bytes += chunk.length;
  return bytes;
}
