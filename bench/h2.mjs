// Benchmark 6, over BENCH_DELAY_MS (default 5) links each way (the delay relays):
// - HTTP/2 vs HTTP/1.1 to the same https:// hop (nghttpx in front of the test bed's squid):
//   100 tunnels opened one after another, and 64 in flight at once, each from a new chain
//   (so the h2 figures include its one TCP+TLS connection);
// - `pipeline: 'auto'` on a hop that drops early bytes (microsocks): the first tunnel of a new
//   chain (hedged after 4 round trips, src/dial/pipeline-auto.ts), then the next one, against
//   sequential setup. Before the hedge that first tunnel waited the whole hop timeout (10 s).
import { readFileSync } from 'node:fs';
import { Chain } from '../dist/index.js';
import { startChild } from './lib/child.mjs';
import { scaled } from './lib/config.mjs';
import { hasNghttpx, startNghttpx } from './lib/nghttpx.mjs';
import { hopUrl } from './lib/peers.mjs';
import { writeResults } from './lib/results.mjs';
import { median, printTable, rotation, sleep } from './lib/stats.mjs';
import { loadTestbed } from './lib/testbed.mjs';
import { h2Tables } from './lib/views.mjs';

const DELAY = Number(process.env.BENCH_DELAY_MS ?? 5);
const RUNS = scaled(5, 3);
const SEQUENTIAL = 100;
const IN_FLIGHT = 64;

const bed = await loadTestbed(['squid-open', 'microsocks-open', 'microsocks-auth']);
if (!bed || !hasNghttpx()) {
  console.log(bed ? 'nghttpx not installed: skipping' : 'test bed not running: skipping');
  writeResults('h2', { skipped: bed ? 'nghttpx not installed' : 'test bed not running' });
  process.exit(0);
}
const ca = readFileSync(bed.ca);
const nghttpx = await startNghttpx(bed.ca, bed.hop('squid-open').port);
const targets = await startChild('targets', { sink: true });
const target = { host: '127.0.0.1', port: targets.ports.sink };
const relays = await startChild('relays', {
  links: [nghttpx.port, bed.hop('microsocks-open').port, bed.hop('microsocks-auth').port].map((port) => ({
    port,
    delayMs: DELAY,
    handshake: true,
  })),
});
const [h2Port, openPort, authPort] = relays.ports;

async function sequential(chain) {
  const started = performance.now();
  for (let i = 0; i < SEQUENTIAL; i++) (await chain.connect(target)).destroy();
  return performance.now() - started;
}

async function inFlight(chain) {
  const started = performance.now();
  const sockets = await Promise.all(Array.from({ length: IN_FLIGHT }, () => chain.connect(target)));
  const ms = performance.now() - started;
  for (const socket of sockets) socket.destroy();
  return ms;
}

const hop = (http2) => ({ protocol: 'https', host: '127.0.0.1', port: h2Port, http2 });
const transports = [
  ['HTTP/1.1 (http2: false)', false],
  ['HTTP/2 (http2: true)', true],
];
const h2Rows = [];
for (const [shape, measure, count] of [
  [`${SEQUENTIAL} tunnels one after another`, sequential, SEQUENTIAL],
  [`${IN_FLIGHT} tunnels in flight`, inFlight, IN_FLIGHT],
]) {
  const times = transports.map(() => []);
  const cpu = transports.map(() => []);
  for (let run = 0; run < RUNS; run++) {
    for (const i of rotation(transports.length, run)) {
      const chain = new Chain([hop(transports[i][1])], { ca });
      const used = process.cpuUsage();
      times[i].push(await measure(chain));
      const { user, system } = process.cpuUsage(used);
      cpu[i].push((user + system) / count);
      await chain.close();
      await sleep(200);
    }
  }
  for (const [i, [client]] of transports.entries()) {
    h2Rows.push({
      shape,
      client,
      totalMs: median(times[i]),
      cpuUsPerTunnel: median(cpu[i]),
      runsMs: times[i],
    });
  }
}

// 'auto' on microsocks: a new chain per run, its first tunnel and its second.
const autoRows = [];
for (const [name, port, auth] of [
  ['microsocks (no auth)', openPort, undefined],
  ['microsocks (user/password)', authPort, bed.hop('microsocks-auth').auth],
]) {
  const url = hopUrl({ protocol: 'socks5', host: '127.0.0.1', port, auth });
  const modes = [
    ['sequential (pipeline: false)', false],
    ["pipeline: 'auto'", 'auto'],
  ];
  const first = modes.map(() => []);
  const second = modes.map(() => []);
  for (let run = 0; run < RUNS; run++) {
    for (const i of rotation(modes.length, run)) {
      const chain = new Chain([url], { pipeline: modes[i][1] });
      for (const into of [first[i], second[i]]) {
        const started = performance.now();
        (await chain.connect(target)).destroy();
        into.push(performance.now() - started);
        await sleep(4 * DELAY);
      }
      await chain.close();
    }
  }
  for (const [i, [mode]] of modes.entries()) {
    autoRows.push({
      hop: name,
      mode,
      firstMs: median(first[i]),
      nextMs: median(second[i]),
      runsMs: first[i],
    });
  }
}

await relays.close();
await targets.close();
await nghttpx.close();
const data = { delayMs: DELAY, runs: RUNS, h2: h2Rows, auto: autoRows };
for (const table of h2Tables(data)) printTable(table);
writeResults('h2', data);
