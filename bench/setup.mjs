// Benchmark 1, tunnel setup: tunnels per second and client CPU per tunnel, one at a time and
// 64 in flight, for 1–3 hops of HTTP CONNECT, SOCKS5 and mixed chains, against `socks`
// (SOCKS-only chains) and, for one hop, https-proxy-agent and socks-proxy-agent.
// In-process: the bench's own proxies (another process), fast enough not to be the limit.
// Test bed: squid, microsocks and dante, fewer tunnels (the servers are shared).
import { startChild } from './lib/child.mjs';
import { BENCH_AUTH, scaled } from './lib/config.mjs';
import { openMany } from './lib/load.mjs';
import { httpsProxyAgent, pipelines, sockschain, socksPackage, socksProxyAgent } from './lib/peers.mjs';
import { writeResults } from './lib/results.mjs';
import { median, printTable, rotation, sleep } from './lib/stats.mjs';
import { loadTestbed } from './lib/testbed.mjs';
import { setupTables } from './lib/views.mjs';

const IN_FLIGHT = 64;

/** The clients that can open a tunnel through `hops` (peers only where they apply). */
function clientsFor(hops) {
  const socksOnly = hops.every((hop) => hop.protocol === 'socks5');
  const clients = [['sockschain', () => sockschain(hops)]];
  if (pipelines(hops)) clients.push(['sockschain pipelined', () => sockschain(hops, { pipeline: true })]);
  if (socksOnly) clients.push(['socks', () => socksPackage(hops)]);
  if (hops.length === 1 && hops[0].protocol === 'http')
    clients.push(['https-proxy-agent', () => httpsProxyAgent(hops[0])]);
  if (hops.length === 1 && socksOnly) clients.push(['socks-proxy-agent', () => socksProxyAgent(hops[0])]);
  return clients;
}

/**
 * Every client on one chain, runs interleaved so that load from elsewhere hits all alike.
 * The warm-up is the same for every client and has the measured shapes (one at a time, then
 * IN_FLIGHT at a time), interleaved like the runs: a warm-up of another shape left the first
 * client's first sequential run paying the JIT (780 tunnels/s against ~1,800 in its later runs).
 */
async function measureChain(family, hops, target, plan) {
  const clients = clientsFor(hops).map(([name, make]) => ({ name, ...make(), seq: [], par: [] }));
  for (let round = 0; round < plan.warmupRounds; round++) {
    for (const client of rotation(clients.length, round).map((i) => clients[i])) {
      await openMany(client.open, target, { count: plan.warmup, inFlight: 1 });
      await openMany(client.open, target, { count: plan.warmup, inFlight: IN_FLIGHT });
    }
  }
  for (let run = 0; run < plan.runs; run++) {
    for (const client of rotation(clients.length, run).map((i) => clients[i])) {
      client.seq.push(await openMany(client.open, target, { count: plan.sequential, inFlight: 1 }));
      client.par.push(await openMany(client.open, target, { count: plan.parallel, inFlight: IN_FLIGHT }));
    }
  }
  await Promise.all(clients.map((client) => client.close()));
  return clients.map((client) => ({
    family,
    hops: hops.length,
    chain: hops.map((hop) => hop.name ?? `${hop.protocol}${hop.auth ? '+auth' : ''}`),
    client: client.name,
    sequential: summarize(client.seq),
    inFlight: summarize(client.par),
  }));
}

function summarize(runs) {
  return {
    perSecond: median(runs.map((r) => r.perSecond)),
    cpuUsPerTunnel: median(runs.map((r) => r.cpuUsPerTunnel)),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    firstError: runs.find((r) => r.firstError)?.firstError,
    runs: runs.map((r) => Math.round(r.perSecond)),
  };
}

const plan = {
  warmup: scaled(100),
  warmupRounds: 2,
  sequential: scaled(150),
  parallel: scaled(500),
  runs: 5,
};
const proxies = await startChild('proxies', {
  proxies: [
    ...[1, 2, 3].map(() => ({ kind: 'http' })),
    ...[1, 2, 3].map(() => ({ kind: 'http', auth: BENCH_AUTH })),
    ...[1, 2, 3].map(() => ({ kind: 'socks5' })),
    ...[1, 2, 3].map(() => ({ kind: 'socks5', auth: BENCH_AUTH })),
  ],
});
const targets = await startChild('targets', { sink: true });
const target = { host: '127.0.0.1', port: targets.ports.sink };
const hop = (kind, auth, i) => ({
  protocol: kind,
  host: '127.0.0.1',
  port: proxies.ports[(kind === 'http' ? 0 : 6) + (auth ? 3 : 0) + i],
  auth: auth ? BENCH_AUTH : undefined,
});
const families = [
  ['HTTP CONNECT', (i) => hop('http', false, i)],
  ['HTTP CONNECT+Basic', (i) => hop('http', true, i)],
  ['SOCKS5', (i) => hop('socks5', false, i)],
  ['SOCKS5+auth', (i) => hop('socks5', true, i)],
  ['mixed+auth', (i) => hop(i % 2 ? 'socks5' : 'http', true, i)],
];
const inProcess = [];
for (const n of [1, 2, 3]) {
  for (const [family, make] of families) {
    if (family === 'mixed+auth' && n === 1) continue;
    const hops = Array.from({ length: n }, (_, i) => make(i));
    inProcess.push(...(await measureChain(family, hops, target, plan)));
  }
}
await proxies.close();

// The test bed's servers are shared: fewer tunnels, and a pause before.
let testbed = [];
const bed = await loadTestbed(['squid-basic', 'microsocks-auth', 'dante-open']);
if (bed) {
  await sleep(2000);
  const realPlan = {
    warmup: scaled(75),
    warmupRounds: 2,
    sequential: scaled(100),
    parallel: scaled(300),
    runs: 3,
  };
  const squid = bed.hop('squid-basic');
  const micro = bed.hop('microsocks-auth');
  const dante = bed.hop('dante-open');
  for (const [family, hops] of [
    ['squid (HTTP+Basic)', [squid]],
    ['microsocks (SOCKS5+auth)', [micro]],
    ['squid → microsocks', [squid, micro]],
    ['squid → microsocks → dante', [squid, micro, dante]],
  ]) {
    testbed.push(...(await measureChain(family, hops, target, realPlan)));
  }
} else testbed = undefined;
await targets.close();

const data = { plan, inFlight: IN_FLIGHT, inProcess, testbed };
for (const table of setupTables(data)) printTable(table);
for (const row of [...inProcess, ...(testbed ?? [])].filter((r) => r.sequential.errors + r.inFlight.errors))
  console.log(
    `errors: ${row.client}, ${row.family}: ${row.sequential.firstError ?? row.inFlight.firstError}`,
  );
writeResults('setup', data);
