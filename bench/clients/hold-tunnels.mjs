// Memory benchmark client (run with --expose-gc, one process per case so that every case
// starts clean): opens COUNT tunnels, optionally with TLS to the target over each, holds them
// idle, and prints RSS and heap before and after as JSON.
// Usage: node --expose-gc hold-tunnels.mjs '{"client","count","tls","proxyPorts","target","ca"}'
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import { sockschain, socksPackage } from '../lib/peers.mjs';

const spec = JSON.parse(process.argv[2]);
const ca = spec.ca ? readFileSync(spec.ca) : undefined;
/** No proxy at all: a plain net.connect (with tls, a plain tls.connect over it), the reference. */
const direct = () => ({
  open: (target) =>
    new Promise((resolve, reject) => {
      const socket = net.connect({ host: target.host, port: target.port, noDelay: true });
      socket.once('connect', () => resolve(socket));
      socket.once('error', reject);
    }),
});
const make = { socks: socksPackage, direct, sockschain }[spec.client];
// One chain per proxy process: a proxy process can hold only so many sockets (ulimit -n).
const chains = spec.proxyPorts.map((port) => make([{ protocol: 'socks5', host: '127.0.0.1', port }]));

function upgrade(socket) {
  return new Promise((resolve, reject) => {
    const secure = tls.connect({ socket, servername: 'localhost', ca });
    secure.once('secureConnect', () => resolve(secure));
    secure.once('error', reject);
  });
}

async function openAll(count, keep) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const chain = chains[next++ % chains.length];
      const tunnel = await chain.open(spec.target);
      keep.push(spec.tls ? await upgrade(tunnel) : tunnel);
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
}

async function settle() {
  // Timers of finished handshakes, and garbage: let them run out, then collect fully.
  await new Promise((resolve) => setTimeout(resolve, 500));
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function usage() {
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapUsed, external: external + arrayBuffers };
}

// Warm-up: the code paths compiled and pools sized before the baseline.
const warm = [];
await openAll(200, warm);
for (const socket of warm) socket.destroy();
await settle();
const before = usage();
const held = [];
const started = performance.now();
await openAll(spec.count, held);
const openMs = performance.now() - started;
await settle();
const after = usage();
process.stdout.write(`${JSON.stringify({ before, after, openMs, held: held.length })}\n`);
for (const socket of held) socket.destroy();
process.exit(0);
