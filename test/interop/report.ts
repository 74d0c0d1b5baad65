/**
 * docs/compatibility.md from the cells of one interop run: the hand-written template
 * (compatibility.template.md: introduction and Quirks) with the generated tables put in
 * place of its `<!-- generated: NAME -->` markers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cell } from './record.js';
import { REPO, type Testbed } from './testbed.js';

const TEMPLATE = join(REPO, 'test/interop/compatibility.template.md');

export const MATRIX_FEATURES: ReadonlyArray<readonly [string, string]> = [
  ['connect', 'connect'],
  ['http', 'http target'],
  ['https', 'https target'],
  ['auth', 'auth ok'],
  ['AUTH_REQUIRED', 'AUTH_REQUIRED'],
  ['AUTH_FAILED', 'AUTH_FAILED'],
  ['PROXY_DENIED', 'PROXY_DENIED'],
  ['TARGET_UNREACHABLE', 'TARGET_UNREACHABLE'],
  ['pipelining', 'pipelining'],
];
const ROLES = ['alone', 'first', 'middle', 'last'];

export interface ReportInput {
  cells: Cell[];
  testbed: Testbed;
  tests: number;
  failed: number;
  date?: string;
}

/** Numbered notes: each distinct text once, referred to as "(n)". */
class Notes {
  readonly #texts: string[] = [];

  ref(text: string): string {
    let index = this.#texts.indexOf(text);
    if (index < 0) index = this.#texts.push(text) - 1;
    return `(${index + 1})`;
  }

  render(): string {
    return this.#texts.map((text, i) => `${i + 1}. ${escapeCell(text)}`).join('\n');
  }
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** One table cell from every record of it: ✗ if any failed, n/a, a value, or ✓. */
function mark(cells: Cell[], notes: Notes): string {
  if (cells.length === 0) return '–';
  const failed = cells.filter((c) => c.status === 'fail');
  if (failed.length > 0) {
    const count = cells.length > 1 ? ` ${cells.length - failed.length}/${cells.length}` : '';
    return `✗${count} ${notes.ref(`failed: ${failed[0]?.note ?? ''}`)}`;
  }
  const values = [...new Set(cells.map((c) => c.value).filter(Boolean))];
  const notesOf = [...new Set(cells.map((c) => c.note).filter((n): n is string => Boolean(n)))];
  const refs = notesOf.map((n) => notes.ref(n)).join(' ');
  if (cells.every((c) => c.status === 'na')) return `n/a ${refs}`;
  const shown = values.length > 0 ? values.join('/') : '✓';
  return refs ? `${shown} ${refs}` : shown;
}

/** A Markdown table with aligned columns, as the formatter leaves the committed file. */
function table(header: string[], rows: string[][]): string {
  const body = [header, ...rows].map((cells) => cells.map(escapeCell));
  const widths = header.map((_, column) => Math.max(3, ...body.map((cells) => (cells[column] ?? '').length)));
  const line = (cells: string[]) =>
    `| ${widths.map((width, column) => (cells[column] ?? '').padEnd(width)).join(' | ')} |`;
  const [head, ...rest] = body as [string[], ...string[][]];
  return [line(head), line(widths.map((width) => '-'.repeat(width))), ...rest.map(line)].join('\n');
}

function select(cells: Cell[], table: string, row?: string, column?: string): Cell[] {
  return cells.filter(
    (c) =>
      c.table === table &&
      (row === undefined || c.row === row) &&
      (column === undefined || c.column === column),
  );
}

function rowsOf(cells: Cell[], name: string): string[] {
  return [...new Set(select(cells, name).map((c) => c.row))];
}

function serversTable(input: ReportInput, notes: Notes): string {
  const rows = input.testbed.servers.map((s) => {
    const socks = s.supports.filter((t) => t.startsWith('socks4'));
    const protocol = [s.protocol === 'https' ? `https (TLS → ${s.upstream})` : s.protocol, ...socks].join(
      ', ',
    );
    const auth = s.auth ? `${s.auth.scheme === 'socks5' ? 'RFC 1929' : s.auth.scheme}` : 'none';
    const pipelining = select(input.cells, 'matrix', undefined, 'pipelining').filter((c) =>
      c.row.startsWith(`${s.name} `),
    );
    return [
      s.name,
      `${s.kind} ${s.version}`,
      protocol,
      auth,
      s.deniedTarget ? 'yes' : 'no',
      mark(pipelining, notes),
    ];
  });
  return table(
    ['server', 'software', 'protocol', 'auth', 'refuses a destination', 'pipelined handshakes'],
    rows,
  );
}

function matrixTable(input: ReportInput, notes: Notes): string {
  const rows = input.testbed.servers.flatMap((s) =>
    ROLES.map((role) => [
      s.name,
      role,
      ...MATRIX_FEATURES.map(([feature]) =>
        mark(select(input.cells, 'matrix', `${s.name} ${role}`, feature), notes),
      ),
    ]),
  );
  return table(['server', 'role', ...MATRIX_FEATURES.map(([, label]) => label)], rows);
}

function pairsTable(input: ReportInput, notes: Notes): string {
  const names = input.testbed.servers.map((s) => s.name);
  const rows = names.map((first, i) => [
    `${i + 1}. ${first}`,
    ...names.map((second) => mark(select(input.cells, 'pairs', first, second), notes)),
  ]);
  return table(['hop 1 ↓ / hop 2 →', ...names.map((_, i) => String(i + 1))], rows);
}

function listTable(input: ReportInput, name: string, first: string, notes: Notes): string {
  const rows = rowsOf(input.cells, name).map((row) => {
    const columns = [...new Set(select(input.cells, name, row).map((c) => c.column))];
    return [
      row,
      columns.map((column) => `${column}: ${mark(select(input.cells, name, row, column), notes)}`).join('; '),
    ];
  });
  return table([first, 'result'], rows);
}

function summary(input: ReportInput): string {
  const count = (status: string) => input.cells.filter((c) => c.status === status).length;
  const v = input.testbed.versions;
  const date = input.date ?? new Date().toISOString().slice(0, 10);
  return [
    `Generated by \`npm run test:interop\` on ${date} from a real run: ${input.tests} tests, ${input.failed} failed;`,
    `${input.cells.length} cells: ${count('pass')} passed, ${count('fail')} failed, ${count('na')} n/a.`,
    `Servers: squid ${v.squid}, tinyproxy ${v.tinyproxy}, dante ${v.dante}, microsocks ${v.microsocks},`,
    `${v.ssh} (\`ssh -D\`), stunnel ${v.stunnel}; Node ${v.node}. Do not edit this file: edit`,
    '`test/interop/compatibility.template.md` or the tests, and run the suite again.',
  ].join('\n');
}

export function renderCompatibility(input: ReportInput): string {
  const notes = new Notes();
  const parts: Record<string, () => string> = {
    summary: () => summary(input),
    servers: () => serversTable(input, notes),
    matrix: () => matrixTable(input, notes),
    pairs: () => pairsTable(input, notes),
    chains: () => listTable(input, 'chains', 'chain', notes),
    clients: () => listTable(input, 'clients', 'client', notes),
    quirks: () => listTable(input, 'quirks', 'quirk test', notes),
    notes: () => notes.render(),
  };
  // Notes last: every table must have added its references first.
  const template = readFileSync(TEMPLATE, 'utf8');
  const order = Object.keys(parts);
  const filled = new Map(
    order.map((name) => [name, name === 'notes' ? '' : (parts[name] as () => string)()]),
  );
  filled.set('notes', parts.notes?.() ?? '');
  return template.replace(/<!-- generated: (\w+) -->/g, (whole, name: string) => filled.get(name) ?? whole);
}
