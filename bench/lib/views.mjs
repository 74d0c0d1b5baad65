// The tables of each benchmark, built from its results JSON: printed by the bench scripts
// and written into docs/benchmarks.md by scripts/bench-tables.mjs, so both always agree.
// A table is { title, headers, rows } with rows of strings.
import { formula, pipelinedTerms, sequentialTerms } from './rtt-model.mjs';
import { fmt, pairedRatio, ratio, times } from './stats.mjs';

const isPeer = (client) => !client.startsWith('sockschain');

function setupTable(title, rows, inFlight) {
  const own = (row, mode) =>
    rows.find((r) => r.family === row.family && r.hops === row.hops && r.client === 'sockschain')?.[mode]
      .runs;
  const versus = (row, mode) => times(pairedRatio(own(row, mode), row[mode].runs));
  return {
    title,
    headers: [
      'chain',
      'hops',
      'client',
      'tunnels/s (1 at a time)',
      'CPU µs/tunnel',
      'sockschain ÷ peer',
      `tunnels/s (${inFlight} in flight)`,
      'CPU µs/tunnel',
      'sockschain ÷ peer',
    ],
    rows: rows.map((row) => [
      row.family,
      String(row.hops),
      row.client,
      fmt(row.sequential.perSecond),
      fmt(row.sequential.cpuUsPerTunnel),
      isPeer(row.client) ? versus(row, 'sequential') : '',
      fmt(row.inFlight.perSecond),
      fmt(row.inFlight.cpuUsPerTunnel),
      isPeer(row.client) ? versus(row, 'inFlight') : '',
    ]),
  };
}

export function setupTables(data) {
  const tables = [setupTable('Bench proxies (another process)', data.inProcess, data.inFlight)];
  if (data.testbed) tables.push(setupTable('Test bed (real proxies)', data.testbed, data.inFlight));
  return tables;
}

export function latencyTables(data) {
  const median = (row, name) => row.results[name]?.medianMs;
  return [
    {
      title:
        `Setup latency in ms over ${data.delayMs} ms links (median of ${data.runs}). minimum: the protocol's ` +
        'round trips at the nominal delay; bed minimum: the same round trips as measured on these links',
      headers: [
        'chain',
        'hops',
        'minimum',
        'bed minimum',
        'sockschain',
        '÷ bed min',
        'socks',
        'proxychains4',
        'proxychains4 ÷ sockschain',
        'pipelined: minimum',
        'bed minimum',
        'sockschain',
        '÷ bed min',
      ],
      rows: data.rows.map((row) => [
        row.family,
        String(row.hops),
        fmt(row.minimumMs),
        fmt(row.bedMinimumMs),
        fmt(median(row, 'sockschain')),
        ratio(median(row, 'sockschain'), row.bedMinimumMs),
        fmt(median(row, 'socks')),
        fmt(median(row, 'proxychains4')),
        ratio(median(row, 'proxychains4'), median(row, 'sockschain')),
        fmt(row.pipelinedMinimumMs),
        fmt(row.bedPipelinedMinimumMs),
        fmt(median(row, 'sockschain pipelined')),
        ratio(median(row, 'sockschain pipelined'), row.bedPipelinedMinimumMs),
      ]),
    },
  ];
}

/** What each sockschain surface is compared with: the same client with proxychains4 doing the setup. */
export const SAME_CLIENT = {
  'sockschain chain.connect': 'node socket + proxychains4',
  'sockschain agent': 'node:http + proxychains4',
  'sockschain dispatcher': 'undici + proxychains4',
};

export function throughputTables(data) {
  if (data.skipped) return [];
  const of = (name) => data.rows.find((row) => row.client === name)?.runs;
  const fast = data.fast;
  const fastRow = (name) => fast?.rows.find((row) => row.client === name);
  const fastTables = fast
    ? [
        {
          title: `${fmt(data.bytes / 2 ** 20, 0)} MiB through ${fast.chain.join(' → ')}, a proxy that is not the limit (median of ${data.runs})`,
          headers: [
            'client',
            'MB/s',
            'client CPU s/GB',
            'MB/s ÷ same client + proxychains4',
            'CPU ÷ same client + proxychains4',
          ],
          rows: fast.rows.map((row) => {
            const same = fastRow(SAME_CLIENT[row.client]);
            return [
              row.client,
              fmt(row.mbPerSecond),
              fmt(row.cpuSecondsPerGB),
              same ? times(pairedRatio(row.runs, same.runs)) : '',
              same ? ratio(row.cpuSecondsPerGB, same.cpuSecondsPerGB) : '',
            ];
          }),
        },
      ]
    : [];
  return [
    {
      title: `${fmt(data.bytes / 2 ** 20, 0)} MiB through ${data.chain.join(' → ')}, MB/s (median of ${data.runs})`,
      headers: ['client', 'MB/s', 'client CPU s/GB', '÷ curl + proxychains4', '÷ direct curl'],
      rows: data.rows.map((row) => [
        row.client,
        fmt(row.mbPerSecond),
        fmt(row.cpuSecondsPerGB),
        times(pairedRatio(row.runs, of('curl + proxychains4'))),
        times(pairedRatio(row.runs, of('direct: curl'))),
      ]),
    },
    ...fastTables,
  ];
}

/** 'agent' for node:http clients, 'dispatcher' for undici ones: what a row compares with. */
const kind = (client) => (/dispatcher|undici/i.test(client) ? 'dispatcher' : 'agent');

export function rpsTables(data) {
  if (data.skipped) return [];
  const own = (row) =>
    data.rows.find((r) => r.group === row.group && !isPeer(r.client) && kind(r.client) === kind(row.client));
  const direct = (row) =>
    data.rows.find((r) => r.group === 'no proxy' && kind(r.client) === kind(row.client));
  return [
    {
      title: `Keep-alive requests/s, ${data.concurrency} connections (median of ${data.runs} × ${data.durationMs} ms)`,
      headers: ['chain', 'client', 'requests/s', 'client CPU µs/request', 'sockschain ÷ peer', '÷ no proxy'],
      rows: data.rows.map((row) => [
        row.group,
        row.client,
        fmt(row.perSecond),
        fmt(row.cpuUsPerRequest),
        row.group !== 'no proxy' && isPeer(row.client) ? times(pairedRatio(own(row)?.runs, row.runs)) : '',
        ratio(row.perSecond, direct(row)?.perSecond),
      ]),
    },
  ];
}

export function memoryTables(data) {
  return [
    {
      title: 'Client memory per open idle tunnel, 1 hop SOCKS5, after full GCs (KiB)',
      headers: [
        'client',
        'tunnels',
        'TLS to target',
        'RSS',
        'JS heap',
        'external',
        'RSS before → after (MiB)',
      ],
      rows: data.rows.map((row) => [
        row.client,
        row.count.toLocaleString('en-US'),
        row.tls ? 'yes' : 'no',
        fmt(row.rssKiBPerTunnel),
        fmt(row.heapKiBPerTunnel),
        fmt(row.externalKiBPerTunnel),
        `${fmt(row.rssBeforeMiB)} → ${fmt(row.rssAfterMiB)}`,
      ]),
    },
  ];
}

/** docs/performance.md: the round-trip arithmetic next to what was measured. */
export function roundTripTables(data) {
  // Chains sockschain pipelined, and HTTP-only ones (where pipelining changes nothing).
  const rows = data.rows.filter(
    (row) => row.shape && (row.results['sockschain pipelined'] || row.pipelinedMinimumMs === row.minimumMs),
  );
  const ms = (row, name) => fmt(row.results[name]?.medianMs);
  return [
    {
      title: `Round trips, d = ${data.delayMs} ms per link each way (ms; measured: median of ${data.runs})`,
      headers: [
        'chain',
        'hops',
        'measured round trip to hop 1, 2, …',
        'sequential: arithmetic',
        'minimum',
        'bed minimum',
        'measured',
        'pipelined: arithmetic',
        'minimum',
        'bed minimum',
        'measured',
      ],
      rows: rows.map((row) => [
        row.family,
        String(row.hops),
        row.roundTripsMs.map((v) => fmt(v)).join(', '),
        formula(sequentialTerms(row.shape)),
        fmt(row.minimumMs),
        fmt(row.bedMinimumMs),
        ms(row, 'sockschain'),
        formula(pipelinedTerms(row.shape)),
        fmt(row.pipelinedMinimumMs),
        fmt(row.bedPipelinedMinimumMs),
        ms(row, 'sockschain pipelined'),
      ]),
    },
  ];
}

export function h2Tables(data) {
  if (data.skipped) return [];
  const h1 = (row) => data.h2.find((r) => r.shape === row.shape && r.client.startsWith('HTTP/1.1'));
  return [
    {
      title: `HTTP/2 vs HTTP/1.1 to one https:// hop (nghttpx → squid), ${data.delayMs} ms links each way, a new chain per run (median of ${data.runs})`,
      headers: [
        'tunnels',
        'transport',
        'total ms',
        'ms per tunnel',
        'client CPU µs/tunnel',
        'time ÷ HTTP/1.1',
      ],
      rows: data.h2.map((row) => {
        const count = Number.parseInt(row.shape, 10);
        return [
          row.shape,
          row.client,
          fmt(row.totalMs),
          fmt(row.totalMs / count),
          fmt(row.cpuUsPerTunnel),
          ratio(row.totalMs, h1(row)?.totalMs),
        ];
      }),
    },
    {
      title: `pipeline: 'auto' on a hop that drops early bytes, ${data.delayMs} ms link each way, a new chain per run (median of ${data.runs}; before the hedge the first tunnel waited the 10 s hop timeout)`,
      headers: ['hop', 'setup', 'first tunnel ms', 'next tunnel ms'],
      rows: data.auto.map((row) => [row.hop, row.mode, fmt(row.firstMs), fmt(row.nextMs)]),
    },
  ];
}

export const VIEWS = {
  setup: setupTables,
  latency: latencyTables,
  throughput: throughputTables,
  rps: rpsTables,
  memory: memoryTables,
  h2: h2Tables,
};
