// Benchmark 3, throughput: one large download (BENCH_BYTES, default 1 GiB) from the test
// bed's origin through a 3-hop chain of real proxies (squid → dante → microsocks), with
// chain.connect, the agent and the dispatcher, against curl under proxychains4 on the same
// chain and against direct transfers (curl, and a node socket).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { scaled } from './lib/config.mjs';
import { sockschain } from './lib/peers.mjs';
import { hasProxychains, proxychainsConf } from './lib/proxychains.mjs';
import { writeResults } from './lib/results.mjs';
import { fmt, median, printTable, ratio, sleep } from './lib/stats.mjs';
import { loadTestbed } from './lib/testbed.mjs';
import { agentGet, directSocket, dispatcherGet, rawGet } from './lib/transfer.mjs';

const run = promisify(execFile);
const BYTES = Number(process.env.BENCH_BYTES ?? 2 ** 30);
const RUNS = scaled(3, 1);

const bed = await loadTestbed(['squid-open', 'dante-open', 'microsocks-open']);
if (!bed) {
  writeResults('throughput', { skipped: 'test bed not running' });
  process.exit(0);
}
const url = new URL(`http://127.0.0.1:${bed.origins.http.port}/bytes/${BYTES}`);
const hops = [bed.hop('squid-open'), bed.hop('dante-open'), bed.hop('microsocks-open')];
const { chain } = sockschain(hops);
const agent = chain.agent({ keepAlive: false });
const dispatcher = chain.dispatcher();
const conf = (await hasProxychains()) ? proxychainsConf(hops) : undefined;

async function curl(prefix) {
  const args = ['-s', '-o', '/dev/null', '-w', '%{size_download} %{time_total}', url.href];
  const [command, ...rest] = [...prefix, 'curl', ...args];
  const { stdout } = await run(command, rest, { timeout: 300_000 });
  const [size, seconds] = stdout.trim().split(' ').map(Number);
  return { bytes: size, ms: seconds * 1000 };
}

/** Times `transfer` (which resolves with the bytes received) from its first step to the last byte. */
async function timed(transfer) {
  const started = performance.now();
  const bytes = await transfer();
  return { bytes, ms: performance.now() - started };
}

const clients = [
  ['direct: curl', () => curl([])],
  ['direct: node socket', () => timed(async () => rawGet(await directSocket(url), url))],
  ['sockschain chain.connect', () => timed(async () => rawGet(await chain.connect(url.host), url))],
  ['sockschain agent', () => timed(() => agentGet(url, agent))],
  ['sockschain dispatcher', () => timed(() => dispatcherGet(url, dispatcher))],
];
if (conf) clients.push(['curl + proxychains4', () => curl(['proxychains4', '-q', '-f', conf.file])]);

const results = new Map(clients.map(([name]) => [name, []]));
for (let round = 0; round < RUNS; round++) {
  for (const [name, transfer] of clients) {
    const { bytes, ms } = await transfer();
    if (bytes < BYTES) throw new Error(`${name}: received ${bytes} of ${BYTES} bytes`);
    results.get(name).push(((BYTES / ms) * 1000) / 1e6);
  }
  // The proxies are shared with other users of the test bed: a breather between rounds.
  if (round < RUNS - 1) await sleep(3000);
}
conf?.remove();
await chain.close();

const rows = clients.map(([name]) => ({
  client: name,
  mbPerSecond: median(results.get(name)),
  runs: results.get(name),
}));
const reference = (name) => rows.find((row) => row.client === name)?.mbPerSecond;
printTable(
  `Throughput, ${fmt(BYTES / 2 ** 20, 0)} MiB through ${hops.map((h) => h.name).join(' → ')} (MB/s, median of ${RUNS})`,
  ['client', 'MB/s', '÷ curl+proxychains4', '÷ direct curl'],
  rows.map((row) => [
    row.client,
    fmt(row.mbPerSecond),
    ratio(row.mbPerSecond, reference('curl + proxychains4')),
    ratio(row.mbPerSecond, reference('direct: curl')),
  ]),
);
writeResults('throughput', { bytes: BYTES, runs: RUNS, chain: hops.map((hop) => hop.name), rows });
