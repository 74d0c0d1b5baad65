// The targets of issues #7, #9 and #15, checked against the results files: one table row each.
import { fmt, pairedRatio, ratio, times } from './stats.mjs';
import { SAME_CLIENT } from './views.mjs';

const status = (ok) => (ok ? 'met' : 'not met');

function latencyRows(latency) {
  const rows = latency.rows.filter((row) => row.results.sockschain);
  const over = (row, key) => row.results.sockschain.medianMs / row[key];
  const worst = (key) => Math.max(...rows.map((row) => over(row, key)));
  const out = [
    [
      'Setup latency over slow links ≤ 1.10 × protocol minimum (sequential, every chain)',
      `worst ${fmt(worst('bedMinimumMs'))}× the bed minimum, ${fmt(worst('minimumMs'))}× the nominal one`,
      status(worst('bedMinimumMs') <= 1.1),
    ],
  ];
  const row = latency.rows.find((r) => r.family.startsWith('SOCKS5+auth (bench') && r.hops === 3);
  const piped = row?.results['sockschain pipelined']?.medianMs;
  if (piped !== undefined) {
    const half = piped / row.results.sockschain.medianMs;
    out.push(
      [
        'Pipelined, 3 hops SOCKS5+auth: < 0.5 × sequential',
        `${fmt(piped)} ms ÷ ${fmt(row.results.sockschain.medianMs)} ms = ${fmt(half)}`,
        status(half < 0.5),
      ],
      [
        'Pipelined, 3 hops SOCKS5+auth: ≤ 1.15 × one round trip to the last hop (+ TCP to hop 1)',
        `${ratio(piped, row.bedPipelinedMinimumMs)} the bed's, ${ratio(piped, row.pipelinedMinimumMs)} the nominal ${fmt(row.pipelinedMinimumMs)} ms`,
        status(piped <= 1.15 * row.bedPipelinedMinimumMs),
      ],
    );
  }
  return out;
}

function throughputRows(throughput) {
  if (throughput.skipped) return [];
  const runs = (name) => throughput.rows.find((row) => row.client === name)?.runs;
  const controls = {
    'sockschain chain.connect': 'node socket + proxychains4',
    'sockschain agent': 'node:http + proxychains4',
    'sockschain dispatcher': 'undici + proxychains4',
  };
  const out = Object.entries(controls).map(([name, control]) => {
    const r = pairedRatio(runs(name), runs('curl + proxychains4'));
    const same = pairedRatio(runs(name), runs(control));
    return [
      `Throughput ${name.replace('sockschain ', '')} ≥ 0.95 × curl under proxychains4`,
      `${times(r)} (${times(same)} ${control})`,
      status(r >= 0.95),
    ];
  });
  // Issue 15: client CPU per GB on both chains, and throughput where the proxy is not the limit.
  const cpu = (rows, name) => rows?.find((row) => row.client === name)?.cpuSecondsPerGB;
  const fast = throughput.fast?.rows;
  for (const [name, control] of Object.entries(SAME_CLIENT)) {
    const surface = name.replace('sockschain ', '');
    const real = cpu(throughput.rows, name) / cpu(throughput.rows, control);
    const quick = fast ? cpu(fast, name) / cpu(fast, control) : Number.NaN;
    out.push([
      `Client CPU per GB, ${surface} ≤ 1.05 × ${control}`,
      `${fmt(real)}× (real proxies), ${fast ? `${fmt(quick)}×` : 'not measured'} (bench proxy)`,
      status(real <= 1.05 && quick <= 1.05),
    ]);
  }
  if (fast) {
    const runsOf = (name) => fast.find((row) => row.client === name)?.runs;
    for (const [name, control] of Object.entries(SAME_CLIENT)) {
      const r = pairedRatio(runsOf(name), runsOf(control));
      out.push([
        `Throughput ${name.replace('sockschain ', '')} ≥ 0.95 × ${control}, proxy not the limit`,
        times(r),
        status(r >= 0.95),
      ]);
    }
  }
  return out;
}

/** Issue 15: one-hop setup against the single-hop peers, multi-hop against `socks` (one at a time). */
function setupRows(setup) {
  const rows = setup.inProcess ?? [];
  const find = (family, hops, client) =>
    rows.find((r) => r.family === family && r.hops === hops && r.client === client)?.sequential;
  const out = [];
  for (const [family, peer] of [
    ['HTTP CONNECT', 'https-proxy-agent'],
    ['SOCKS5', 'socks'],
    ['SOCKS5', 'socks-proxy-agent'],
  ]) {
    const own = find(family, 1, 'sockschain');
    const other = find(family, 1, peer);
    if (!own || !other) continue;
    const r = pairedRatio(own.runs, other.runs);
    const cpu = own.cpuUsPerTunnel / other.cpuUsPerTunnel;
    out.push([
      `One-hop setup vs ${peer} (${family}): ≥ 1.0× tunnels/s, ≤ 1.0× CPU per tunnel`,
      `${times(r)} tunnels/s, ${fmt(cpu)}× CPU (${fmt(own.cpuUsPerTunnel)} vs ${fmt(other.cpuUsPerTunnel)} µs)`,
      status(r >= 1 && cpu <= 1),
    ]);
  }
  for (const hops of [2, 3]) {
    const own = find('SOCKS5', hops, 'sockschain');
    const other = find('SOCKS5', hops, 'socks');
    if (!own || !other) continue;
    const r = pairedRatio(own.runs, other.runs);
    const piped = find('SOCKS5', hops, 'sockschain pipelined');
    const note = piped ? `; pipelined ${times(pairedRatio(piped.runs, other.runs))}` : '';
    out.push([
      `${hops}-hop setup vs socks createConnectionChain (SOCKS5): ≥ 1.1× tunnels/s`,
      `${times(r)}${note}`,
      status(r >= 1.1),
    ]);
  }
  return out;
}

const RPS_PAIRS = [
  ['1 hop: squid (CONNECT)', 'sockschain agent', 'https-proxy-agent'],
  ['1 hop: squid (CONNECT)', 'sockschain dispatcher', 'undici ProxyAgent'],
  ['1 hop: squid (absolute-form)', 'sockschain agent', 'http-proxy-agent'],
  ['1 hop: dante (SOCKS5)', 'sockschain agent', 'socks-proxy-agent'],
  ['1 hop: dante (SOCKS5)', 'sockschain dispatcher', 'undici Socks5ProxyAgent'],
];

function rpsRows(rps) {
  if (rps.skipped) return [];
  const pairs = RPS_PAIRS;
  const row = (group, client) => rps.rows.find((r) => r.group === group && r.client === client);
  return pairs.map(([group, own, peer]) => {
    // A peer added after the last full run (undici Socks5ProxyAgent) has no figures yet.
    if (!row(group, peer))
      return [`Keep-alive req/s ${own} ≥ ${peer} (${group})`, 'not measured yet', 'not measured'];
    const r = pairedRatio(row(group, own)?.runs, row(group, peer)?.runs);
    const cpu = `client CPU ${fmt(row(group, own)?.cpuUsPerRequest)} vs ${fmt(row(group, peer)?.cpuUsPerRequest)} µs/request`;
    return [`Keep-alive req/s ${own} ≥ ${peer} (${group})`, `${times(r)} (${cpu})`, status(r >= 1)];
  });
}

/** Issue 15: keep-alive client CPU per request against each single-hop peer. */
function rpsCpuRows(rps) {
  if (rps.skipped) return [];
  const row = (group, client) => rps.rows.find((r) => r.group === group && r.client === client);
  return RPS_PAIRS.filter(([group, , peer]) => row(group, peer)).map(([group, own, peer]) => {
    const mine = row(group, own)?.cpuUsPerRequest;
    const theirs = row(group, peer)?.cpuUsPerRequest;
    return [
      `Keep-alive client CPU per request, ${own} ≤ 1.0 × ${peer} (${group})`,
      `${fmt(mine / theirs)}× (${fmt(mine)} vs ${fmt(theirs)} µs)`,
      status(mine <= theirs),
    ];
  });
}

function memoryRows(memory) {
  const raw = memory.rows
    .filter((row) => row.client === 'sockschain' && !row.tls)
    .map((row) => [
      `Memory < 20 KiB per open raw tunnel (${row.count.toLocaleString('en-US')} tunnels)`,
      `${fmt(row.rssKiBPerTunnel)} KiB`,
      status(row.rssKiBPerTunnel < 20),
    ]);
  // Issue 15 sets no number for TLS to the target: measured and reported against tls.connect.
  const plain = (count) =>
    memory.rows.find((row) => row.client === 'direct' && row.tls && row.count === count);
  const tls = memory.rows
    .filter((row) => row.client === 'sockschain' && row.tls && plain(row.count))
    .map((row) => [
      `Memory per open TLS-to-target tunnel, reported against a plain tls.connect (${row.count.toLocaleString('en-US')})`,
      `${fmt(row.rssKiBPerTunnel)} vs ${fmt(plain(row.count).rssKiBPerTunnel)} KiB`,
      'reported',
    ]);
  return [...raw, ...tls];
}

/** The targets table from whichever results exist ({ latency, throughput, rps, memory }). */
export function targetsTable(results) {
  const rows = [
    ...(results.setup ? setupRows(results.setup) : []),
    ...(results.latency ? latencyRows(results.latency) : []),
    ...(results.throughput ? throughputRows(results.throughput) : []),
    ...(results.rps ? rpsRows(results.rps) : []),
    ...(results.rps ? rpsCpuRows(results.rps) : []),
    ...(results.memory ? memoryRows(results.memory) : []),
  ];
  return { title: 'Targets (issues #7, #9 and #15)', headers: ['target', 'measured', 'status'], rows };
}
