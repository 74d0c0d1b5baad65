// Benchmark 3, throughput: one large download (BENCH_BYTES, default 1 GiB) from the test
// bed's origin through a 3-hop chain of real proxies (squid → dante → microsocks), with
// chain.connect, the agent and the dispatcher, against curl under proxychains4 on the same
// chain and against direct transfers (curl, and a node socket). Controls: a node socket,
// node:http and undici run under proxychains4 (the same read paths, set up by proxychains).
// The real proxies set the pace there (~200 MB/s against ~2 GB/s direct), so the same
// clients run again through one bench SOCKS5 proxy (bench/servers, relaying with pipe), a
// chain whose proxy is not the limit: issue 15's "same client under proxychains4" rows.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startChild } from './lib/child.mjs';
import { scaled } from './lib/config.mjs';
import { sockschain } from './lib/peers.mjs';
import { hasProxychains, proxychainsConf } from './lib/proxychains.mjs';
import { writeResults } from './lib/results.mjs';
import { median, printTable, rotation, sleep } from './lib/stats.mjs';
import { loadTestbed } from './lib/testbed.mjs';
import { agentGet, directSocket, dispatcherGet, rawGet } from './lib/transfer.mjs';
import { throughputTables } from './lib/views.mjs';

const run = promisify(execFile);
const RAW_GET = new URL('./clients/raw-get.mjs', import.meta.url).pathname;
const BYTES = Number(process.env.BENCH_BYTES ?? 2 ** 30);
const RUNS = scaled(3, 1);

const bed = await loadTestbed(['squid-open', 'dante-open', 'microsocks-open']);
if (!bed) {
  writeResults('throughput', { skipped: 'test bed not running' });
  process.exit(0);
}
const url = new URL(`http://127.0.0.1:${bed.origins.http.port}/bytes/${BYTES}`);
const realHops = [bed.hop('squid-open'), bed.hop('dante-open'), bed.hop('microsocks-open')];
const canProxychains = await hasProxychains();

/**
 * Runs a client process (`command`, optionally under `prefix`) from bash, whose `times`
 * reports the CPU time of its children; `parse` turns the client's stdout into { bytes, ms }.
 */
async function external(prefix, command, parse) {
  const script = '"$@"; times >&2';
  const { stdout, stderr } = await run('bash', ['-c', script, 'bash', ...prefix, ...command], {
    timeout: 300_000,
  });
  // `times`: the shell's user and system time, then its children's ("0m1.234s 0m0.567s").
  const children = stderr.trim().split('\n').pop();
  const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map(([, m, s]) => Number(m) * 60 + Number(s));
  return { ...parse(stdout), cpuMs: (seconds[0] + seconds[1]) * 1000 };
}

const curlArgs = ['curl', '-s', '-o', '/dev/null', '-w', '%{size_download} %{time_total}', url.href];
const curl = (prefix) =>
  external(prefix, curlArgs, (stdout) => {
    const [bytes, seconds] = stdout.trim().split(' ').map(Number);
    return { bytes, ms: seconds * 1000 };
  });
const nodeGet = (prefix, mode) =>
  external(prefix, [process.execPath, RAW_GET, mode, url.href], (out) => JSON.parse(out));

/** Times `transfer` (which resolves with the bytes received) from its first step to the last byte. */
async function timed(transfer) {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const bytes = await transfer();
  const used = process.cpuUsage(cpu);
  return { bytes, ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
}

/** Every client, interleaved round by round, through `hops`: MB/s and client CPU s/GB. */
async function measureChain(hops) {
  const { chain } = sockschain(hops);
  const agent = chain.agent({ keepAlive: false });
  const dispatcher = chain.dispatcher();
  const conf = canProxychains ? proxychainsConf(hops) : undefined;
  const pc = conf ? ['proxychains4', '-q', '-f', conf.file] : undefined;
  const clients = [
    ['direct: curl', () => curl([])],
    ['direct: node socket', () => timed(async () => rawGet(await directSocket(url), url))],
    ['sockschain chain.connect', () => timed(async () => rawGet(await chain.connect(url.host), url))],
    ['sockschain agent', () => timed(() => agentGet(url, agent))],
    ['sockschain dispatcher', () => timed(() => dispatcherGet(url, dispatcher))],
  ];
  // Controls: the same node clients with proxychains4 doing the setup instead of sockschain.
  if (pc) {
    clients.push(
      ['curl + proxychains4', () => curl(pc)],
      ['node socket + proxychains4', () => nodeGet(pc, 'socket')],
      ['node:http + proxychains4', () => nodeGet(pc, 'http')],
      ['undici + proxychains4', () => nodeGet(pc, 'undici')],
    );
  }
  const results = new Map(clients.map(([name]) => [name, { mb: [], cpu: [] }]));
  for (let round = 0; round < RUNS; round++) {
    for (const [name, transfer] of rotation(clients.length, round).map((i) => clients[i])) {
      const { bytes, ms, cpuMs } = await transfer();
      if (bytes < BYTES) throw new Error(`${name}: received ${bytes} of ${BYTES} bytes`);
      results.get(name).mb.push(((BYTES / ms) * 1000) / 1e6);
      // Client CPU seconds per GB received.
      results.get(name).cpu.push(cpuMs / 1000 / (BYTES / 1e9));
    }
    // The proxies are shared with other users of the test bed: a breather between rounds.
    if (round < RUNS - 1) await sleep(3000);
  }
  conf?.remove();
  await chain.close();
  return clients.map(([name]) => {
    const { mb, cpu } = results.get(name);
    return { client: name, mbPerSecond: median(mb), cpuSecondsPerGB: median(cpu), runs: mb, cpuRuns: cpu };
  });
}

const rows = await measureChain(realHops);
const proxies = await startChild('proxies', { proxies: [{ kind: 'socks5' }] });
const fastHop = {
  name: 'bench socks5 (pipe)',
  protocol: 'socks5',
  host: '127.0.0.1',
  port: proxies.ports[0],
};
const fast = { chain: [fastHop.name], rows: await measureChain([fastHop]) };
await proxies.close();
const data = { bytes: BYTES, runs: RUNS, chain: realHops.map((hop) => hop.name), rows, fast };
for (const table of throughputTables(data)) printTable(table);
writeResults('throughput', data);
