/**
 * The text output of `probe`: for one target a table hop by hop, for several a summary
 * (a grid of hosts by ports with --ports), then the error and hint lines.
 */
import type { Chain } from '../../chain/chain.js';
import { failureLines } from '../output/format.js';
import type { Style } from '../output/style.js';
import { formatMs, renderTable } from '../output/table.js';
import type { Diagnosis } from './diagnose.js';
import type { AppReport, AuthState, HopReport, TargetReport } from './report.js';

/** The auth column of probe's and check's hop tables. */
export const AUTH_LABELS: Readonly<Record<AuthState, string>> = {
  none: '—',
  accepted: 'ok',
  rejected: 'rejected',
  required: 'required',
  unknown: '?',
};

export function renderOne(chain: Chain, report: TargetReport, style: Style): string {
  let out = `probe ${report.target} through ${through(chain, report)}\n\n`;
  const rows = report.hops.map((hop) => hopRow(hop, style));
  const reached = report.status === 'reachable' || report.status === 'app-failed';
  const targetResult = reached
    ? style.green('reachable')
    : report.status === 'unreachable'
      ? style.red(report.error?.code ?? 'unreachable')
      : style.dim('not reached');
  const last = [...report.hops].reverse().find((hop) => hop.result === 'ok' || hop.result === 'failed');
  const via = report.direct ? 'direct' : last ? `via ${last.index + 1}` : '';
  rows.push(['→', 'target', report.target, via, '', '', '', targetResult]);
  out += renderTable(
    [
      { header: '#', align: 'right' },
      { header: 'protocol' },
      { header: 'address' },
      { header: 'tcp', align: 'right' },
      { header: 'tls', align: 'right' },
      { header: 'auth' },
      { header: 'handshake', align: 'right' },
      { header: 'result' },
    ],
    rows,
  );
  out += style.dim(
    `  times in ms. "via N": reached inside hop N's handshake, so it is part of that time; auth is part of the handshake.\n`,
  );
  out += '\n';
  if (report.error && report.diagnosis) out += errorAndDiagnosis(report.error, report.diagnosis, style);
  else if (report.error) out += failureLines(report.error, style, '  ');
  else if (report.direct) {
    out += `  ${style.yellow('direct')}: NO_PROXY (or no proxy for this scheme) sends ${report.target} around the chain; connected in ${formatMs(report.totalMs)} ms\n`;
  } else out += `  ${style.green('ok')}: tunnel to ${report.target} up in ${formatMs(report.totalMs)} ms\n`;
  if (report.app) out += appLines(report.app, style, report.diagnosis);
  return out;
}

/**
 * `N hops`, or for a PAC chain (no hops of its own) the routes its file chose for this
 * target, in the order they are tried: `the PAC file's routes: http://a:3128; DIRECT`.
 */
function through(chain: Chain, report: TargetReport): string {
  const routes = report.pacRoutes;
  if (!routes) {
    const n = chain.hops.length;
    return `${n} hop${n === 1 ? '' : 's'}`;
  }
  const text = routes.map((route) => (route === 'direct' ? 'DIRECT' : route.join(' -> ')));
  return `the PAC file's route${routes.length === 1 ? '' : 's'}: ${text.join('; ')}`;
}

/** The error line, then the diagnosis (its remedy is the hint). */
function errorAndDiagnosis(
  error: { code: string; message: string },
  diagnosis: Diagnosis,
  style: Style,
): string {
  return `  ${style.red(`error: ${error.code}`)}: ${error.message}\n${diagnosisLines(diagnosis, style)}`;
}

/**
 * `link: this machine → hop 1`, `cause: credentials-blocked`, one `evidence:` line per step
 * (`what was tried → what came back (N ms)`), `remedy: …`.
 */
export function diagnosisLines(diagnosis: Diagnosis, style: Style): string {
  let out = `  ${style.yellow('link:')} ${diagnosis.link.label}\n`;
  out += `  ${style.yellow('cause:')} ${diagnosis.cause}\n`;
  for (const item of diagnosis.evidence) {
    const ms = item.ms === null ? '' : ` (${formatMs(item.ms)} ms)`;
    out += `  ${style.dim('evidence:')} ${item.step} → ${item.result}${ms}\n`;
  }
  out += `  ${style.yellow('remedy:')} ${diagnosis.remedy}\n`;
  return out;
}

function hopRow(hop: HopReport, style: Style): string[] {
  const tried = hop.result === 'ok' || hop.result === 'failed';
  const failed = hop.result === 'failed';
  const tcp =
    hop.reachedThrough === null ? formatMs(hop.tcpMs) : tried ? `via ${hop.reachedThrough + 1}` : '';
  const result = failed
    ? style.red(hop.code ?? 'failed')
    : tried
      ? style.green('ok')
      : style.dim('not tried');
  return [
    String(hop.index + 1),
    hop.protocol,
    hop.url,
    tcp,
    hop.protocol === 'https' ? formatMs(hop.tlsMs) : tried ? '—' : '',
    hop.auth === null ? '' : AUTH_LABELS[hop.auth],
    formatMs(hop.handshakeMs),
    result,
  ];
}

/** With a diagnosis, its lines follow the error (its remedy is the hint: said once). */
function appLines(app: AppReport, style: Style, diagnosis: Diagnosis | null): string {
  let out = '';
  if (app.status !== null) {
    out += `  app check: HEAD over ${app.scheme} answered ${app.status} ${app.statusText ?? ''} in ${formatMs(app.ms)} ms\n`;
  }
  if (app.tls) {
    const trust =
      app.tls.authorized && app.tls.hostnameMatch ? style.green('trusted') : style.red('NOT trusted');
    out += `  certificate: ${trust}; subject ${app.tls.subject}; issuer ${app.tls.issuer}; valid to ${app.tls.validTo}\n`;
  }
  if (app.error && diagnosis)
    out += errorAndDiagnosis({ code: 'APP_CHECK_FAILED', ...app.error }, diagnosis, style);
  else if (app.error) out += failureLines({ code: 'APP_CHECK_FAILED', ...app.error }, style, '  ');
  return out;
}

export function renderMany(chain: Chain, reports: TargetReport[], style: Style, ports?: number[]): string {
  const n = chain.hops.length;
  // A PAC chain has no hops of its own: "the routes of a PAC file" says it.
  const hops = n === 0 ? '' : `${n} hop${n === 1 ? '' : 's'}: `;
  let out = `probe ${reports.length} targets through ${hops}${chain.toString()}\n\n`;
  out += ports ? grid(reports, ports, style) : list(reports, style);
  // One error and hint per distinct problem, naming the targets it hit.
  const problems = new Map<string, { targets: string[]; lines: string }>();
  for (const report of reports) {
    const problem =
      report.error ?? (report.app?.error ? { code: 'APP_CHECK_FAILED', ...report.app.error } : null);
    if (!problem) continue;
    const key = `${problem.code} ${problem.hint}`;
    const seen = problems.get(key);
    if (seen) seen.targets.push(report.target);
    else problems.set(key, { targets: [report.target], lines: failureLines(problem, style, '  ') });
  }
  for (const { targets, lines } of problems.values()) {
    const more = targets.length > 1 ? ` and ${targets.length - 1} more` : '';
    out += `\n${targets[0]}${more}:\n${lines}`;
  }
  return out;
}

function list(reports: TargetReport[], style: Style): string {
  const rows = reports.map((report) => [
    report.target,
    statusCell(report, style),
    formatMs(report.totalMs),
    report.error && report.error.hopIndex >= 0 ? String(report.error.hopIndex + 1) : '',
    report.app?.status === null || report.app === null ? '' : String(report.app.status),
    report.app?.tls ? report.app.tls.issuer : '',
  ]);
  const columns = [
    { header: 'target' },
    { header: 'result' },
    { header: 'ms', align: 'right' as const },
    { header: 'hop', align: 'right' as const },
    { header: 'http', align: 'right' as const },
    { header: 'issuer' },
  ];
  // The http and issuer columns only when some target has them.
  const keep = columns.map((_, i) => i < 4 || rows.some((row) => row[i] !== ''));
  return renderTable(
    columns.filter((_, i) => keep[i]),
    rows.map((row) => row.filter((_, i) => keep[i])),
  );
}

function statusCell(report: TargetReport, style: Style): string {
  if (report.status === 'reachable') return style.green('reachable');
  if (report.status === 'app-failed') return style.red('app check failed');
  return style.red(report.error?.code ?? report.status);
}

/** Hosts down, ports across: the words a firewall map is made of. */
function grid(reports: TargetReport[], ports: number[], style: Style): string {
  const hosts = [...new Set(reports.map((r) => r.host))];
  const rows = hosts.map((host) => [
    host,
    ...ports.map((port) => {
      const report = reports.find((r) => r.host === host && r.port === port);
      return report ? cell(report, style) : '';
    }),
  ]);
  return renderTable([{ header: 'host' }, ...ports.map((port) => ({ header: String(port) }))], rows);
}

function cell(report: TargetReport, style: Style): string {
  const error = report.error;
  if (report.status === 'reachable') return style.green('open');
  if (report.status === 'app-failed') return style.red('app-failed');
  if (!error) return report.status;
  if (report.status === 'unreachable') {
    // From the diagnosis (typed facts), never from the proxy's words.
    const cause = report.diagnosis?.cause;
    if (cause === 'dns-failed' || error.code === 'DNS_FAILED') return style.red('no-dns');
    if (cause === 'target-filtered') return style.red('filtered');
    if (error.reason === 'refused') return style.red('refused');
    return style.red('unreachable');
  }
  if (error.code === 'PROXY_DENIED' && error.target === report.target) return style.red('denied');
  return style.red(`hop ${error.hopIndex + 1} ${error.code}`);
}
