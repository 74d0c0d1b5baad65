// Benchmark 5, memory: client RSS per open idle tunnel with 1,000 and 10,000 tunnels held
// open (1 hop, SOCKS5, the bench's proxy), raw and with TLS to the target, measured after
// full GCs in a fresh client process per case; `socks` (default options) for reference, and
// plain connections with no proxy (net.connect, and tls.connect over it) as the floor.
// The file-descriptor limit caps each process: the tunnels are spread over several proxy
// processes, and bench/run.sh raises `ulimit -n` to the hard limit.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { startChild } from './lib/child.mjs';
import { scaled } from './lib/config.mjs';
import { writeResults } from './lib/results.mjs';
import { printTable } from './lib/stats.mjs';
import { memoryTables } from './lib/views.mjs';

const run = promisify(execFile);
const CLIENT = new URL('./clients/hold-tunnels.mjs', import.meta.url).pathname;
const CERTS = new URL('../test/fixtures/certs/', import.meta.url).pathname;
const COUNTS = [scaled(1000, 100), scaled(10_000, 100)];
const PER_PROXY = 4000;
const KiB = 1024;

const targets = await startChild('targets', {
  sink: true,
  tls: {
    cert: readFileSync(`${CERTS}localhost.crt`, 'utf8'),
    key: readFileSync(`${CERTS}localhost.key`, 'utf8'),
  },
});
const proxyCount = Math.ceil(Math.max(...COUNTS) / PER_PROXY);
const proxies = await Promise.all(
  Array.from({ length: proxyCount }, () => startChild('proxies', { proxies: [{ kind: 'socks5' }] })),
);
const proxyPorts = proxies.map((proxy) => proxy.ports[0]);

const cases = [];
for (const count of COUNTS) {
  cases.push({ client: 'sockschain', count, tls: false }, { client: 'sockschain', count, tls: true });
  cases.push({ client: 'direct', count, tls: true });
}
cases.push({ client: 'direct', count: COUNTS[0], tls: false });
// For reference, the `socks` package with its default options (its timers outlive the handshake).
cases.push({ client: 'socks', count: COUNTS[0], tls: false });

const rows = [];
for (const c of cases) {
  const spec = {
    ...c,
    proxyPorts: proxyPorts.slice(0, Math.ceil(c.count / PER_PROXY)),
    target: { host: '127.0.0.1', port: c.tls ? targets.ports.tls : targets.ports.sink },
    ca: `${CERTS}ca.crt`,
  };
  const { stdout } = await run(process.execPath, ['--expose-gc', CLIENT, JSON.stringify(spec)], {
    timeout: 180_000,
    maxBuffer: 1 << 20,
  });
  const { before, after, openMs } = JSON.parse(stdout);
  rows.push({
    ...c,
    openMs,
    rssKiBPerTunnel: (after.rss - before.rss) / c.count / KiB,
    heapKiBPerTunnel: (after.heapUsed - before.heapUsed) / c.count / KiB,
    externalKiBPerTunnel: (after.external - before.external) / c.count / KiB,
    rssBeforeMiB: before.rss / 2 ** 20,
    rssAfterMiB: after.rss / 2 ** 20,
  });
}
await Promise.all([targets, ...proxies].map((child) => child.close()));

const data = { perProxyProcess: PER_PROXY, rows };
for (const table of memoryTables(data)) printTable(table);
writeResults('memory', data);
