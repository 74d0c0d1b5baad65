/** The outputs of `check`: a table, CSV, JSON (schema 1), or just the working URLs. */

import { failureLines } from '../output/format.js';
import type { Style } from '../output/style.js';
import { formatMs, renderTable } from '../output/table.js';
import { AUTH_LABELS } from '../probe/render.js';
import type { CheckResult } from './run.js';

export function renderCheckTable(results: CheckResult[], style: Style, header: string): string {
  const withTarget = results.some((r) => r.target !== null);
  const rows = results.map((r) => [
    r.url,
    r.protocol,
    r.status === 'ok' ? style.green('ok') : style.red('failed'),
    formatMs(r.latencyMs),
    r.auth === null ? '' : AUTH_LABELS[r.auth],
    ...(withTarget ? [r.reachesTarget ? 'reachable' : r.reachesTarget === false ? 'no' : ''] : []),
    r.error ? (r.status === 'ok' ? style.dim(r.error.code) : style.red(r.error.code)) : '',
  ]);
  let out = `${header}\n\n`;
  out += renderTable(
    [
      { header: 'proxy' },
      { header: 'protocol' },
      { header: 'result' },
      { header: 'ms', align: 'right' },
      { header: 'auth' },
      ...(withTarget ? [{ header: 'target' }] : []),
      { header: 'problem' },
    ],
    rows,
  );
  const working = results.filter((r) => r.status === 'ok').length;
  out += `\n  ${working} of ${results.length} working.\n`;
  if (results.some((r) => r.status === 'ok' && r.error)) {
    out += style.dim(
      '  A working proxy with a problem refused the test tunnel to its own address, in its protocol: it is alive.\n  Give --target HOST:PORT to check that it forwards where you need.\n',
    );
  }
  // One error and hint per distinct problem, with how many proxies it hit.
  const problems = new Map<string, { count: number; first: CheckResult }>();
  for (const r of results) {
    if (!r.error || r.status === 'ok') continue;
    const key = `${r.error.code} ${r.error.hint}`;
    const seen = problems.get(key);
    if (seen) seen.count++;
    else problems.set(key, { count: 1, first: r });
  }
  for (const { count, first } of problems.values()) {
    const error = first.error;
    if (!error) continue;
    out += `\n${first.url}${count > 1 ? ` and ${count - 1} more` : ''}:\n${failureLines(error, style, '  ')}`;
  }
  return out;
}

const CSV_COLUMNS = [
  'url',
  'protocol',
  'status',
  'latency_ms',
  'tcp_ms',
  'tls_ms',
  'handshake_ms',
  'alive',
  'protocol_confirmed',
  'auth',
  'target',
  'reaches_target',
  'code',
  'phase',
  'reply',
  'hint',
] as const;

export function renderCsv(results: CheckResult[]): string {
  const rows = results.map((r) => [
    r.url,
    r.protocol,
    r.status,
    r.latencyMs,
    r.tcpMs,
    r.tlsMs,
    r.handshakeMs,
    r.alive,
    r.protocolConfirmed,
    r.auth,
    r.target,
    r.reachesTarget,
    r.error?.code,
    r.error?.phase,
    r.error?.reply,
    r.error?.hint,
  ]);
  return `${[CSV_COLUMNS, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`;
}

/** RFC 4180: quote fields holding a comma, quote or line break; double the quotes. */
function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
