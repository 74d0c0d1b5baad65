// Medians, ratios and plain-text tables for the benchmark scripts.

export function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A number with about three significant digits (1234, 12.3, 0.123). */
export function fmt(value, digits) {
  if (value === undefined || value === null || !Number.isFinite(value)) return '–';
  if (digits !== undefined) return value.toFixed(digits);
  const abs = Math.abs(value);
  if (abs >= 100) return Math.round(value).toString();
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/**
 * The median of run-by-run ratios a[i] / b[i]: runs are interleaved, so each pair saw about
 * the same load from elsewhere, and the ratio is steadier than the ratio of two medians.
 */
export function pairedRatio(a, b) {
  if (!a?.length || a.length !== b?.length) return Number.NaN;
  return median(a.map((value, i) => value / b[i]));
}

/** "1.23×" for a ratio already computed. */
export function times(value) {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : '–';
}

/** "1.23×": how many times `value` is `reference`. */
export function ratio(value, reference) {
  if (!Number.isFinite(value) || !Number.isFinite(reference) || reference === 0) return '–';
  return `${(value / reference).toFixed(2)}×`;
}

/** Prints a { title, headers, rows } table (lib/views.mjs) as plain text, numbers right-aligned. */
export function printTable({ title, headers, rows }) {
  const cells = [headers, ...rows].map((row) => row.map((cell) => String(cell ?? '–')));
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => row[i]?.length ?? 0)));
  const numeric = headers.map((_, i) =>
    rows.every((row) => /^[-–\d.,×%+ ]*[a-zA-Z/×%]*$/.test(String(row[i]))),
  );
  const line = (row) =>
    row
      .map((cell, i) => (numeric[i] && i > 0 ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ');
  console.log(`\n${title}`);
  console.log(line(cells[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of cells.slice(1)) console.log(line(row));
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Indexes 0..n-1 starting at `run` mod n: a different client leads each run. */
export function rotation(n, run) {
  return Array.from({ length: n }, (_, i) => (i + run) % n);
}
