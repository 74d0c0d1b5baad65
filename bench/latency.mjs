// Benchmark 2, setup latency over slow links: every link (client→hop 1, hop k→hop k+1)
// delayed by BENCH_DELAY_MS (default 5) each way by a relay in another process, 1–4 hops,
// against the protocol minimum (lib/rtt-model.mjs), `socks` and proxychains4 running a small
// client on the same chain; sockschain with and without pipelining.
import { startChild } from './lib/child.mjs';
import { BENCH_AUTH, scaled } from './lib/config.mjs';
import { pipelines, sockschain, socksPackage } from './lib/peers.mjs';
import { hasProxychains, proxychainsConf, proxychainsConnects } from './lib/proxychains.mjs';
import { writeResults } from './lib/results.mjs';
import { minimumMs } from './lib/rtt-model.mjs';
import { median, printTable, rotation, sleep } from './lib/stats.mjs';
import { loadTestbed } from './lib/testbed.mjs';
import { latencyTables } from './lib/views.mjs';

const DELAY = Number(process.env.BENCH_DELAY_MS ?? 5);
const RUNS = scaled(7, 3);
const MAX_HOPS = 4;

const proxies = await startChild('proxies', {
  proxies: Array.from({ length: MAX_HOPS }, () => ({ kind: 'socks5', auth: BENCH_AUTH })),
});
const targets = await startChild('targets', { sink: true, echo: true });
const target = { host: '127.0.0.1', port: targets.ports.sink };
const bed = await loadTestbed(['squid-basic', 'microsocks-auth', 'dante-open']);

const families = [
  {
    name: 'SOCKS5+auth (bench proxies)',
    hop: (k) => ({ protocol: 'socks5', host: '127.0.0.1', port: proxies.ports[k], auth: BENCH_AUTH }),
    peers: ['socks'],
  },
];
if (bed) {
  families.push(
    { name: 'HTTP CONNECT+Basic (squid)', hop: () => bed.hop('squid-basic'), peers: [] },
    { name: 'SOCKS5+auth (microsocks)', hop: () => bed.hop('microsocks-auth'), peers: ['socks'] },
    {
      name: 'mixed (squid+Basic, dante)',
      hop: (k) => bed.hop(k % 2 ? 'dante-open' : 'squid-basic'),
      peers: [],
    },
  );
}
const proxychains = await hasProxychains();
if (!proxychains) console.log('proxychains4 not installed: its column stays empty');

// One relay per hop position and family: hop k's URL names relay k, which forwards to the
// proxy; relay 1 also charges the client's TCP handshake.
const links = families.flatMap((family) =>
  Array.from({ length: MAX_HOPS }, (_, k) => ({
    port: family.hop(k).port,
    delayMs: DELAY,
    handshake: k === 0,
  })),
);
const relays = await startChild('relays', { links });

function clientsFor(hops, family) {
  const clients = [['sockschain', () => sockschain(hops)]];
  if (pipelines(hops)) clients.push(['sockschain pipelined', () => sockschain(hops, { pipeline: true })]);
  if (family.peers.includes('socks')) clients.push(['socks', () => socksPackage(hops)]);
  return clients;
}

async function timeOne(open) {
  const started = performance.now();
  const socket = await open(target);
  const ms = performance.now() - started;
  socket.destroy();
  // The close crosses the delayed links too: let the proxies see it before the next run.
  await sleep(4 * DELAY * MAX_HOPS);
  return ms;
}

/**
 * The bed's real round trip to each hop: a byte echoed from just behind hop k, through the
 * relays and proxies as the handshake messages go. Every crossing costs a little more than
 * the nominal delay (two wake-ups of a busy 2-core machine per relay, the proxy's relaying).
 */
async function measureRoundTrips(chainOf) {
  const rtts = [];
  for (let n = 1; n <= MAX_HOPS; n++) {
    const { open, close } = sockschain(chainOf(n));
    const socket = await open({ host: '127.0.0.1', port: targets.ports.echo });
    const times = [];
    for (let i = 0; i <= RUNS; i++) {
      const started = performance.now();
      socket.write('x');
      await new Promise((resolve) => socket.once('data', resolve));
      times.push(performance.now() - started);
    }
    socket.destroy();
    await close();
    rtts.push(median(times.slice(1)));
  }
  return rtts;
}

const rows = [];
for (const [f, family] of families.entries()) {
  const chainOf = (n) =>
    Array.from({ length: n }, (_, k) => ({ ...family.hop(k), port: relays.ports[f * MAX_HOPS + k] }));
  const rttMs = await measureRoundTrips(chainOf);
  for (let n = 1; n <= MAX_HOPS; n++) {
    const hops = chainOf(n);
    const shape = hops.map((hop) => ({ protocol: hop.protocol, auth: hop.auth !== undefined }));
    const clients = clientsFor(hops, family).map(([name, make]) => ({ name, ...make(), times: [] }));
    for (const client of clients) await timeOne(client.open);
    for (let run = 0; run < RUNS; run++) {
      for (const i of rotation(clients.length, run)) clients[i].times.push(await timeOne(clients[i].open));
    }
    await Promise.all(clients.map((client) => client.close()));
    const results = Object.fromEntries(
      clients.map((client) => [client.name, { medianMs: median(client.times), runsMs: client.times }]),
    );
    if (proxychains) {
      const conf = proxychainsConf(hops);
      try {
        const times = (await proxychainsConnects(conf.file, target, RUNS + 1)).slice(1);
        results.proxychains4 = { medianMs: median(times), runsMs: times };
      } finally {
        conf.remove();
      }
    }
    rows.push({
      family: family.name,
      hops: n,
      chain: hops.map((hop) => hop.name ?? `${hop.protocol}${hop.auth ? '+auth' : ''}`),
      shape,
      minimumMs: minimumMs(shape, DELAY),
      pipelinedMinimumMs: minimumMs(shape, DELAY, { pipelined: true }),
      roundTripsMs: rttMs.slice(0, n),
      bedMinimumMs: minimumMs(shape, DELAY, { rttMs }),
      bedPipelinedMinimumMs: minimumMs(shape, DELAY, { pipelined: true, rttMs }),
      realNetworkMinimumMs: minimumMs(shape, DELAY, { proxyTcp: true }),
      realNetworkPipelinedMinimumMs: minimumMs(shape, DELAY, { pipelined: true, proxyTcp: true }),
      results,
    });
  }
}
await relays.close();
await proxies.close();
await targets.close();

const data = { delayMs: DELAY, runs: RUNS, rows };
for (const table of latencyTables(data)) printTable(table);
writeResults('latency', data);
