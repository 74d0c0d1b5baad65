#!/usr/bin/env node
// Writes the tables of bench/results/*.json into docs/benchmarks.md and docs/performance.md,
// each between its markers (<!-- bench:NAME --> … <!-- /bench:NAME -->), and prints the
// targets table.
// The prose around them is written by hand. Usage: node scripts/bench-tables.mjs
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { printTable } from '../bench/lib/stats.mjs';
import { targetsTable } from '../bench/lib/targets.mjs';
import { roundTripTables, VIEWS } from '../bench/lib/views.mjs';

const ROOT = new URL('../', import.meta.url);
const DOCS = [new URL('docs/benchmarks.md', ROOT), new URL('docs/performance.md', ROOT)];

const results = {};
for (const name of Object.keys(VIEWS)) {
  const file = new URL(`bench/results/${name}.json`, ROOT);
  if (existsSync(file)) results[name] = JSON.parse(readFileSync(file, 'utf8'));
}

const cell = (text) => String(text).replace(/\|/g, '\\|');

function markdown({ title, headers, rows }) {
  // Right-align the columns of figures (empty cells allowed, the first column never).
  const numeric = headers.map(
    (_, i) =>
      i > 0 &&
      rows.some((row) => row[i] !== '') &&
      rows.every((row) => row[i] === '' || /^[-–\d.,×%+→ ]*[a-zA-Z/×]*$/.test(row[i])),
  );
  const lines = [`**${title}**`, '', `| ${headers.map(cell).join(' | ')} |`];
  lines.push(`| ${headers.map((_, i) => (numeric[i] ? '---:' : '---')).join(' | ')} |`);
  for (const row of rows) lines.push(`| ${row.map(cell).join(' | ')} |`);
  return lines.join('\n');
}

function machineSection() {
  const lines = [
    '| results file | measured | load average (1, 5, 15 min) at the end |',
    '| --- | --- | --- |',
  ];
  for (const [name, data] of Object.entries(results)) {
    lines.push(`| bench/results/${name}.json | ${data.date} | ${data.machine.loadAverage.join(', ')} |`);
  }
  const m = Object.values(results)[0]?.machine;
  if (!m) return lines.join('\n');
  const versions = Object.entries(m.versions)
    .filter(([, v]) => v)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}.\nVersions: ${versions}.\n\n${lines.join('\n')}`;
}

const sections = { machine: machineSection(), targets: markdown(targetsTable(results)) };
for (const [name, data] of Object.entries(results)) {
  sections[name] = VIEWS[name](data).map(markdown).join('\n\n');
}

if (results.latency) sections.roundtrips = roundTripTables(results.latency).map(markdown).join('\n\n');

for (const doc of DOCS) {
  if (!existsSync(doc)) continue;
  let text = readFileSync(doc, 'utf8');
  for (const [name, body] of Object.entries(sections)) {
    const pattern = new RegExp(`(<!-- bench:${name} -->)[\\s\\S]*?(<!-- /bench:${name} -->)`);
    text = text.replace(pattern, (_, open, close) => `${open}\n${body}\n${close}`);
  }
  writeFileSync(doc, text);
  console.log(`updated the tables of ${doc.pathname.slice(ROOT.pathname.length)}`);
}
printTable(targetsTable(results));
