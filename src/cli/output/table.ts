/** Plain-text tables: columns padded to their widest cell, colors not counted as width. */
import { visibleWidth } from './style.js';

export interface Column {
  header: string;
  /** Numbers read best right-aligned. */
  align?: 'left' | 'right';
}

export function renderTable(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
  indent = '  ',
): string {
  const widths = columns.map((column, i) =>
    Math.max(visibleWidth(column.header), ...rows.map((row) => visibleWidth(row[i] ?? ''))),
  );
  const line = (cells: readonly string[]) =>
    indent +
    columns
      .map((column, i) => {
        const cell = cells[i] ?? '';
        const pad = ' '.repeat((widths[i] ?? 0) - visibleWidth(cell));
        return column.align === 'right' ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd();
  return `${[line(columns.map((c) => c.header)), ...rows.map(line)].join('\n')}\n`;
}

/** Milliseconds for people: one decimal below 10 ms, whole numbers above. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  return ms < 10 ? ms.toFixed(1) : String(Math.round(ms));
}

/** Milliseconds for JSON: a tenth of a millisecond is all the precision loopback timings carry. */
export function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10;
}
