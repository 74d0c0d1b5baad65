// A tiny client for running under proxychains4: connects COUNT times to HOST:PORT and prints
// the milliseconds from net.connect() to 'connect' as JSON. proxychains builds the whole chain
// inside the hooked connect() call, so this is the setup time, with process start left out.
// Usage: node connect-timer.mjs HOST PORT COUNT
import net from 'node:net';
import { performance } from 'node:perf_hooks';

const [host, port, count] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4] ?? 1)];

function once() {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = net.connect({ host, port });
    socket.once('error', reject);
    socket.once('connect', () => {
      const ms = performance.now() - started;
      socket.destroy();
      resolve(ms);
    });
  });
}

const times = [];
for (let i = 0; i < count; i++) {
  times.push(await once());
  // Let the proxies tear the last tunnel down before the next one is timed.
  await new Promise((resolve) => setTimeout(resolve, 20));
}
process.stdout.write(`${JSON.stringify(times)}\n`);
