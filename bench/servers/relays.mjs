// Child process: delay relays, the slow links of the latency benchmark (this kernel has no
// netem). One listener per spec.links entry ({ port, delayMs, handshake }) forwards to
// 127.0.0.1:port and delays each direction by delayMs. A userspace relay accepts at once, so
// a TCP handshake through it would be free; `handshake: true` charges it as a real link
// does: the connecting side's bytes are held until one round trip (2 × delayMs) after the
// accept, then delayed as usual. Running here keeps these timers off the measured client.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { DelayedWriter } from './delay-link.mjs';
import { listen, serveChild, tcpServer } from './serve-child.mjs';

function relay({ port, delayMs, handshake }) {
  return (client) => {
    const accepted = performance.now();
    // Half-open both ways: an end travels through the delay queue like data, after it.
    const upstream = net.connect({ host: '127.0.0.1', port, noDelay: true, allowHalfOpen: true });
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    const toServer = new DelayedWriter(upstream, delayMs, handshake ? accepted + 2 * delayMs : 0);
    const toClient = new DelayedWriter(client, delayMs);
    client.on('data', (chunk) => toServer.push(chunk));
    client.on('end', () => toServer.push(null));
    upstream.on('data', (chunk) => toClient.push(chunk));
    upstream.on('end', () => toClient.push(null));
  };
}

await serveChild(async ({ links }) => {
  const ports = [];
  for (const link of links) ports.push(await listen(tcpServer(relay(link), { allowHalfOpen: true })));
  return ports;
});
