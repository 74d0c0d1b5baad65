// Keep-alive client CPU per request, A/B: the agent and dispatcher of this build (dist/) and,
// with AB_BASE=<dirs holding other builds' dist/, comma-separated>, of those builds, side by side with the peers
// in the same process, on one squid CONNECT hop and one dante SOCKS5 hop of the test bed.
// Every client gets the same warm-up; measured rounds are interleaved (a different client
// leads each round) and the median of the rounds is printed, with each client's ratio to the
// first one of its group. AB_FILTER=<regex> keeps the matching "group: client" rows; for
// profiling, run it under `node --cpu-prof` with AB_ONLY=<group: client>.
// Not part of `npm run bench`: a tool for changing the adapters.
import http from 'node:http';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { SocksProxyAgent } from 'socks-proxy-agent';
import { ProxyAgent, request, Socks5ProxyAgent } from 'undici';
import { startChild } from './lib/child.mjs';
import { hopUrl } from './lib/peers.mjs';
import { median, printTable, rotation } from './lib/stats.mjs';
import { loadTestbed } from './lib/testbed.mjs';

const CONCURRENCY = 8;
const REQUESTS = Number(process.env.AB_REQUESTS ?? 2000);
const ROUNDS = Number(process.env.AB_ROUNDS ?? 7);
const ONLY = process.env.AB_ONLY;
const FILTER = process.env.AB_FILTER && new RegExp(process.env.AB_FILTER);

const builds = [['', await import('../dist/index.js')]];
for (const dir of process.env.AB_BASE?.split(',') ?? [])
  builds.push([` (${dir.split('/').pop()})`, await import(`${dir}/dist/index.js`)]);

const bed = await loadTestbed(['squid-basic', 'dante-open']);
if (!bed) process.exit(1);
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
const chainOf = (Chain, hops, options) => new Chain(hops.map(hopUrl), options);
const connect = { httpForwarding: 'connect' };

const groups = [
  [
    'squid CONNECT',
    [
      ...builds.flatMap(([tag, { Chain }]) => [
        [`agent${tag}`, () => viaAgent(chainOf(Chain, [squid], connect).agent(keepAlive))],
        [
          `dispatcher${tag}`,
          () => viaDispatcher(chainOf(Chain, [squid], connect).dispatcher({ connections: CONCURRENCY })),
        ],
      ]),
      ['https-proxy-agent', () => viaAgent(new HttpsProxyAgent(hopUrl(squid), keepAlive))],
      [
        'undici ProxyAgent',
        () => viaDispatcher(new ProxyAgent({ uri: hopUrl(squid), connections: CONCURRENCY })),
      ],
    ],
  ],
  [
    'squid absolute-form',
    [
      ...builds.map(([tag, { Chain }]) => [
        `agent${tag}`,
        () => viaAgent(chainOf(Chain, [squid], {}).agent(keepAlive)),
      ]),
      ['http-proxy-agent', () => viaAgent(new HttpProxyAgent(hopUrl(squid), keepAlive))],
    ],
  ],
  [
    'dante SOCKS5',
    [
      ...builds.flatMap(([tag, { Chain }]) => [
        [`agent${tag}`, () => viaAgent(chainOf(Chain, [dante], {}).agent(keepAlive))],
        [
          `dispatcher${tag}`,
          () => viaDispatcher(chainOf(Chain, [dante], {}).dispatcher({ connections: CONCURRENCY })),
        ],
      ]),
      ['socks-proxy-agent', () => viaAgent(new SocksProxyAgent(hopUrl(dante), keepAlive))],
      [
        'undici Socks5ProxyAgent',
        () => viaDispatcher(new Socks5ProxyAgent(hopUrl(dante), { connections: CONCURRENCY })),
      ],
    ],
  ],
];

/** Client CPU µs per request for `count` requests, CONCURRENCY at a time. */
async function measure(send, count) {
  let left = count;
  const loop = async () => {
    while (left-- > 0) await send();
  };
  const cpu = process.cpuUsage();
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / count;
}

for (const [group, makers] of groups) {
  const clients = makers
    .filter(([name]) => !ONLY || `${group}: ${name}` === ONLY)
    .filter(([name]) => !FILTER || FILTER.test(`${group}: ${name}`))
    .map(([name, make]) => ({ name, send: make(), cpu: [] }));
  if (clients.length === 0) continue;
  // The same warm-up for all, interleaved: pools filled, then two untimed rounds each.
  for (let round = 0; round < 2; round++)
    for (const client of clients) await measure(client.send, REQUESTS / 2);
  for (let round = 0; round < ROUNDS; round++)
    for (const i of rotation(clients.length, round))
      clients[i].cpu.push(await measure(clients[i].send, REQUESTS));
  const first = clients[0].cpu;
  printTable({
    title: `${group}: client CPU µs per keep-alive request (median of ${ROUNDS} rounds of ${REQUESTS})`,
    headers: ['client', 'µs/request', `÷ ${clients[0].name} (paired)`],
    rows: clients.map((client) => [
      client.name,
      median(client.cpu).toFixed(1),
      median(client.cpu.map((value, i) => value / first[i])).toFixed(3),
    ]),
  });
}
await targets.close();
process.exit(0);
