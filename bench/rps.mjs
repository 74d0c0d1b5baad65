// Benchmark 4, HTTP requests per second with keep-alive (CONCURRENCY connections, each with
// one request at a time) to a small origin: sockschain's agent and dispatcher through 1- and
// 2-hop chains of test-bed proxies, against the single-hop peers on the same 1-hop chains
// (https-proxy-agent, http-proxy-agent, socks-proxy-agent, undici ProxyAgent) and no proxy.
import http from 'node:http';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { SocksProxyAgent } from 'socks-proxy-agent';
import { Agent, ProxyAgent, request } from 'undici';
import { startChild } from './lib/child.mjs';
import { SCALE, scaled } from './lib/config.mjs';
import { hopUrl, sockschain } from './lib/peers.mjs';
import { writeResults } from './lib/results.mjs';
import { fmt, median, printTable, ratio, sleep } from './lib/stats.mjs';
import { loadTestbed } from './lib/testbed.mjs';

const CONCURRENCY = 8;
const DURATION_MS = Math.round(2000 * SCALE);
const RUNS = scaled(3, 1);

const bed = await loadTestbed(['squid-basic', 'dante-open']);
if (!bed) {
  writeResults('rps', { skipped: 'test bed not running' });
  process.exit(0);
}
const targets = await startChild('targets', { http: true });
const url = `http://127.0.0.1:${targets.ports.http}/`;
const squid = bed.hop('squid-basic');
const dante = bed.hop('dante-open');

const viaAgent = (agent) => () =>
  new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        res.resume();
        res.once('end', resolve);
      })
      .once('error', reject);
  });
const viaDispatcher = (dispatcher) => async () => {
  const { body } = await request(url, { dispatcher });
  await body.dump();
};
const keepAlive = { keepAlive: true, maxSockets: CONCURRENCY };
const chainAgent = (hops, options) => viaAgent(sockschain(hops, options).chain.agent(keepAlive));
const chainDispatcher = (hops, options) =>
  viaDispatcher(sockschain(hops, options).chain.dispatcher({ connections: CONCURRENCY }));
const connectForwarding = { httpForwarding: 'connect' };

// Groups: clients measured side by side (runs interleaved), sockschain first.
const groups = [
  [
    'no proxy',
    [
      ['node http.Agent', viaAgent(new http.Agent(keepAlive))],
      ['undici Agent', viaDispatcher(new Agent({ connections: CONCURRENCY }))],
    ],
  ],
  [
    '1 hop: squid (CONNECT)',
    [
      ['sockschain agent', chainAgent([squid], connectForwarding)],
      ['sockschain dispatcher', chainDispatcher([squid], connectForwarding)],
      ['https-proxy-agent', viaAgent(new HttpsProxyAgent(hopUrl(squid), keepAlive))],
      ['undici ProxyAgent', viaDispatcher(new ProxyAgent({ uri: hopUrl(squid), connections: CONCURRENCY }))],
    ],
  ],
  [
    '1 hop: squid (absolute-form)',
    [
      ['sockschain agent', chainAgent([squid])],
      ['http-proxy-agent', viaAgent(new HttpProxyAgent(hopUrl(squid), keepAlive))],
    ],
  ],
  [
    '1 hop: dante (SOCKS5)',
    [
      ['sockschain agent', chainAgent([dante])],
      ['sockschain dispatcher', chainDispatcher([dante])],
      ['socks-proxy-agent', viaAgent(new SocksProxyAgent(hopUrl(dante), keepAlive))],
    ],
  ],
  [
    '2 hops: squid → dante',
    [
      ['sockschain agent', chainAgent([squid, dante])],
      ['sockschain dispatcher', chainDispatcher([squid, dante])],
    ],
  ],
];

/** Requests per second: CONCURRENCY loops, each one request at a time, for DURATION_MS. */
async function measure(send) {
  let count = 0;
  let errors = 0;
  const until = performance.now() + DURATION_MS;
  const loop = async () => {
    while (performance.now() < until) {
      try {
        await send();
        count++;
      } catch {
        errors++;
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  return { perSecond: (count / (performance.now() - started)) * 1000, errors };
}

const rows = [];
for (const [group, clients] of groups) {
  const runs = clients.map(() => []);
  const errors = clients.map(() => 0);
  // Warm-up: open the pooled connections (tunnels) and let the JIT settle.
  for (const [, send] of clients) await Promise.all(Array.from({ length: CONCURRENCY * 4 }, send));
  for (let run = 0; run < RUNS; run++) {
    for (const [i, [, send]] of clients.entries()) {
      const result = await measure(send);
      runs[i].push(result.perSecond);
      errors[i] += result.errors;
    }
  }
  for (const [i, [client]] of clients.entries())
    rows.push({ group, client, perSecond: median(runs[i]), runs: runs[i], errors: errors[i] });
  // Shared proxies: a breather between groups.
  await sleep(1000);
}
await targets.close();

printTable(
  `Keep-alive requests/s, ${CONCURRENCY} connections (median of ${RUNS} × ${DURATION_MS} ms)`,
  ['chain', 'client', 'req/s', 'ss÷peer', '÷ no proxy', 'errors'],
  rows.map((row) => {
    const own = rows.find(
      (r) =>
        r.group === row.group && r.client.startsWith('sockschain') && r.client.split(' ')[1] === kind(row),
    );
    const direct = rows.find((r) => r.group === 'no proxy' && kind(r) === kind(row));
    return [
      row.group,
      row.client,
      fmt(row.perSecond),
      own && !row.client.startsWith('sockschain') ? ratio(own.perSecond, row.perSecond) : '',
      ratio(row.perSecond, direct?.perSecond),
      row.errors || '',
    ];
  }),
);
writeResults('rps', { concurrency: CONCURRENCY, durationMs: DURATION_MS, runs: RUNS, rows });

process.exit(0);

/** 'agent' for node:http clients, 'dispatcher' for undici ones: what a row compares with. */
function kind(row) {
  return /dispatcher|undici/i.test(row.client) ? 'dispatcher' : 'agent';
}
