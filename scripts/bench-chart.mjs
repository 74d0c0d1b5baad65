#!/usr/bin/env node
// Draws docs/benchmarks-latency.svg from bench/results/latency.json: setup latency against
// hop count, one panel per chain family, sockschain and its peers against the protocol
// minimum. Plain SVG, no dependencies. Usage: node scripts/bench-chart.mjs
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const ROOT = new URL('../', import.meta.url);
const INPUT = new URL('bench/results/latency.json', ROOT);
const OUTPUT = new URL('docs/benchmarks-latency.svg', ROOT);

// In legend order (two columns); drawn minimums first and sockschain last, on top.
const SERIES = [
  { key: 'sockschain', label: 'sockschain', color: '#1f6fd1', layer: 3 },
  {
    key: 'minimum',
    label: 'protocol minimum, sequential',
    color: '#888',
    dash: '6 4',
    layer: 0,
    value: (r) => r.minimumMs,
  },
  { key: 'sockschain pipelined', label: 'sockschain, pipeline: true', color: '#1a9a5a', layer: 3 },
  {
    key: 'pipelinedMinimum',
    label: 'protocol minimum, pipelined',
    color: '#888',
    dash: '2 3',
    layer: 0,
    value: (r) => r.pipelinedMinimumMs,
  },
  { key: 'proxychains4', label: 'proxychains4 (node client)', color: '#c8322d', layer: 1 },
  { key: 'socks', label: 'socks createConnectionChain', color: '#e08a00', layer: 2 },
];

const PANEL = { width: 430, height: 270, left: 52, right: 16, top: 34, bottom: 40 };
const COLUMNS = 2;

function niceStep(max, ticks = 5) {
  const raw = max / ticks;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= raw);
}

const esc = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function panel(family, rows, ox, oy) {
  const hops = rows.map((r) => r.hops);
  const values = (s) => rows.map((r) => (s.value ? s.value(r) : r.results[s.key]?.medianMs));
  const piped = rows.some((r) => r.results['sockschain pipelined']);
  // The pipelined minimum only where sockschain pipelined (not through microsocks, not HTTP-only).
  const series = SERIES.filter(
    (s) => values(s).some((v) => Number.isFinite(v)) && (s.key !== 'pipelinedMinimum' || piped),
  );
  const maxY = Math.max(...series.flatMap((s) => values(s).filter(Number.isFinite)));
  const step = niceStep(maxY);
  const top = Math.ceil(maxY / step) * step;
  const w = PANEL.width - PANEL.left - PANEL.right;
  const h = PANEL.height - PANEL.top - PANEL.bottom;
  const x = (n) =>
    ox + PANEL.left + ((n - Math.min(...hops)) / Math.max(1, Math.max(...hops) - Math.min(...hops))) * w;
  const y = (v) => oy + PANEL.top + h - (v / top) * h;
  const out = [`<text x="${ox + PANEL.left}" y="${oy + 20}" class="title">${esc(family)}</text>`];
  for (let v = 0; v <= top + 1e-9; v += step) {
    out.push(
      `<line x1="${ox + PANEL.left}" x2="${ox + PANEL.left + w}" y1="${y(v)}" y2="${y(v)}" class="grid"/>`,
    );
    out.push(`<text x="${ox + PANEL.left - 6}" y="${y(v) + 4}" class="tick" text-anchor="end">${v}</text>`);
  }
  for (const n of hops) {
    out.push(
      `<text x="${x(n)}" y="${oy + PANEL.top + h + 16}" class="tick" text-anchor="middle">${n}</text>`,
    );
  }
  out.push(
    `<text x="${ox + PANEL.left + w / 2}" y="${oy + PANEL.height - 6}" class="axis" text-anchor="middle">hops</text>`,
    `<text transform="translate(${ox + 14} ${oy + PANEL.top + h / 2}) rotate(-90)" class="axis" text-anchor="middle">ms</text>`,
  );
  for (const s of [...series].sort((a, b) => a.layer - b.layer)) {
    const points = values(s)
      .map((v, i) => (Number.isFinite(v) ? `${x(hops[i]).toFixed(1)},${y(v).toFixed(1)}` : undefined))
      .filter(Boolean);
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
    out.push(
      `<polyline points="${points.join(' ')}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`,
    );
    if (!s.dash) {
      for (const p of points) {
        const [px, py] = p.split(',');
        out.push(`<circle cx="${px}" cy="${py}" r="3" fill="${s.color}"/>`);
      }
    }
  }
  return out;
}

if (!existsSync(INPUT)) {
  console.log('bench-chart: no bench/results/latency.json yet (npm run bench -- latency)');
  process.exit(0);
}
const data = JSON.parse(readFileSync(INPUT, 'utf8'));
const families = [...new Set(data.rows.map((r) => r.family))];
const rowsOf = (family) => data.rows.filter((r) => r.family === family).sort((a, b) => a.hops - b.hops);
const panelRows = Math.ceil(families.length / COLUMNS);
const legendHeight = 20 * Math.ceil(SERIES.length / 2) + 16;
const width = PANEL.width * COLUMNS;
const height = 40 + PANEL.height * panelRows + legendHeight;
const parts = [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif">`,
  `<title>Tunnel setup latency against hop count: sockschain, its peers and the protocol minimum</title>`,
  '<style>.title{font-size:13px;font-weight:600}.tick{font-size:11px;fill:#444}.axis{font-size:11px;fill:#444}.grid{stroke:#e4e4e4}.legend{font-size:12px}</style>',
  '<rect width="100%" height="100%" fill="#fff"/>',
  `<text x="12" y="24" font-size="15" font-weight="600">Tunnel setup latency, ${data.delayMs} ms per link each way (median of ${data.runs})</text>`,
];
families.forEach((family, i) => {
  parts.push(
    ...panel(
      family,
      rowsOf(family),
      (i % COLUMNS) * PANEL.width,
      36 + Math.floor(i / COLUMNS) * PANEL.height,
    ),
  );
});
SERIES.forEach((s, i) => {
  const lx = 20 + (i % 2) * (width / 2);
  const ly = 36 + PANEL.height * panelRows + 14 + Math.floor(i / 2) * 20;
  const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
  parts.push(
    `<line x1="${lx}" x2="${lx + 28}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`,
  );
  parts.push(`<text x="${lx + 36}" y="${ly + 4}" class="legend">${esc(s.label)}</text>`);
});
parts.push('</svg>');
writeFileSync(OUTPUT, `${parts.join('\n')}\n`);
console.log('wrote docs/benchmarks-latency.svg');
