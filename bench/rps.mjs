// Benchmark 4, HTTP requests per second with keep-alive (CONCURRENCY connections, each with
// one request at a time) to a small origin: sockschain's agent and dispatcher through 1- and
// 2-hop chains of test-bed proxies, against the single-hop peers on the same 1-hop chains
// (https-proxy-agent, http-proxy-agent, socks-proxy-agent, undici ProxyAgent, undici
// Socks5ProxyAgent) and no proxy.
import http from 'node:http';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { SocksProxyAgent } from 'socks-proxy-agent';
import { Agent, ProxyAgent, request, Socks5ProxyAgent } from 'undici';
import { startChild } from './lib/child.mjs';
import { SCALE, scaled } from './lib/config.mjs';
import { hopUrl, sockschain } from './lib/peers.mjs';
import { writeResults } from './lib/results.mjs';
import { median, printTable, rotation, sleep } from './lib/stats.mjs';
import { loadTestbed } from './lib/testbed.mjs';
import { rpsTables } from './lib/views.mjs';

const CONCURRENCY = 8;
// Many short runs, clients interleaved: load from elsewhere on a shared machine comes and goes
// within seconds, and then hits every client alike.
const DURATION_MS = Math.round(600 * SCALE);
const WARMUP_MS = Math.round(500 * SCALE);
const RUNS = scaled(9, 3);

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
      // undici 7's experimental SOCKS5 dispatcher (one hop), as fetch would use it.
      [
        'undici Socks5ProxyAgent',
        viaDispatcher(new Socks5ProxyAgent(hopUrl(dante), { connections: CONCURRENCY })),
      ],
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
async function measure(send, durationMs) {
  let count = 0;
  let errors = 0;
  const until = performance.now() + durationMs;
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
  const cpu = process.cpuUsage();
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  const used = process.cpuUsage(cpu);
  return {
    perSecond: (count / (performance.now() - started)) * 1000,
    cpuUsPerRequest: (used.user + used.system) / count,
    errors,
  };
}

const rows = [];
for (const [group, clients] of groups) {
  const runs = clients.map(() => []);
  const cpu = clients.map(() => []);
  const errors = clients.map(() => 0);
  // Warm-up: open the pooled connections (tunnels) and let the JIT settle.
  for (const [, send] of clients) await measure(send, WARMUP_MS);
  for (let run = 0; run < RUNS; run++) {
    // Each run starts with another client, so that none always follows the pause.
    for (const i of rotation(clients.length, run)) {
      const result = await measure(clients[i][1], DURATION_MS);
      runs[i].push(result.perSecond);
      cpu[i].push(result.cpuUsPerRequest);
      errors[i] += result.errors;
    }
  }
  for (const [i, [client]] of clients.entries())
    rows.push({
      group,
      client,
      perSecond: median(runs[i]),
      cpuUsPerRequest: median(cpu[i]),
      runs: runs[i],
      errors: errors[i],
    });
  // Shared proxies: a breather between groups.
  await sleep(1000);
}
await targets.close();

const data = { concurrency: CONCURRENCY, durationMs: DURATION_MS, runs: RUNS, rows };
for (const table of rpsTables(data)) printTable(table);
writeResults('rps', data);
// The pooled keep-alive sockets of every client would keep the process alive.
process.exit(0);
