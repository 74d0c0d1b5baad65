// diagnostics_channel cost (docs/operations.md): client CPU per tunnel through 2 SOCKS5+auth
// hops, with nobody subscribed to the sockschain:* channels, then with a subscriber on each,
// interleaved in the same run. Without a subscriber no payload is built (one hasSubscribers
// check per channel per tunnel), so the two CPU figures of the "none" rows should match the
// run-to-run noise. `npm run bench -- events`.
import diagnostics from 'node:diagnostics_channel';
import { CHANNELS } from '../dist/index.js';
import { startChild } from './lib/child.mjs';
import { BENCH_AUTH, scaled } from './lib/config.mjs';
import { openMany } from './lib/load.mjs';
import { sockschain } from './lib/peers.mjs';
import { writeResults } from './lib/results.mjs';
import { median, printTable } from './lib/stats.mjs';

const COUNT = scaled(2000, 500);
const RUNS = scaled(7, 3);

const proxies = await startChild('proxies', {
  proxies: [0, 1].map(() => ({ kind: 'socks5', auth: BENCH_AUTH })),
});
const targets = await startChild('targets', { sink: true });
const target = { host: '127.0.0.1', port: targets.ports.sink };
const client = sockschain(
  [0, 1].map((k) => ({ protocol: 'socks5', host: '127.0.0.1', port: proxies.ports[k], auth: BENCH_AUTH })),
);

let events = 0;
const count = () => {
  events++;
};
const subscribe = (on) => {
  for (const name of Object.values(CHANNELS))
    (on ? diagnostics.subscribe : diagnostics.unsubscribe)(name, count);
};

const samples = { none: [], subscribed: [] };
await openMany(client.open, target, { count: 200, inFlight: 8 });
for (let run = 0; run < RUNS; run++) {
  for (const mode of run % 2 ? ['subscribed', 'none'] : ['none', 'subscribed']) {
    subscribe(mode === 'subscribed');
    samples[mode].push(await openMany(client.open, target, { count: COUNT, inFlight: 1 }));
    subscribe(false);
  }
}
await client.close();
await Promise.all([proxies.close(), targets.close()]);

const rows = Object.entries(samples).map(([mode, runs]) => ({
  subscribers: mode,
  tunnelsPerSecond: median(runs.map((r) => r.perSecond)),
  cpuUsPerTunnel: median(runs.map((r) => r.cpuUsPerTunnel)),
}));
printTable({
  title: `diagnostics_channel: ${COUNT} tunnels x ${RUNS} runs, 2 SOCKS5+auth hops, one at a time`,
  headers: ['subscribers', 'tunnels/s', 'client CPU µs/tunnel'],
  rows: rows.map((r) => [r.subscribers, r.tunnelsPerSecond.toFixed(0), r.cpuUsPerTunnel.toFixed(1)]),
});
console.log(`(${events} events published while subscribed)`);
writeResults('events', { count: COUNT, runs: RUNS, rows });
