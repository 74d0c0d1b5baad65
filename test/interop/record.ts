/**
 * Cells of docs/compatibility.md. A test wraps its assertions in `cell()`, which attaches
 * the outcome to the test's metadata (`task.meta.compat`); the suite's global teardown reads
 * every test's metadata and writes the document (test/interop/setup.ts). Metadata rather
 * than files: it travels from the worker processes to the main one with the results.
 */
import type { RunnerTestCase } from 'vitest';

export type CellStatus = 'pass' | 'fail' | 'na';

export interface Cell {
  /** Which table of the document: 'matrix', 'pairs', 'chains', 'clients', 'pipelining', 'quirks'. */
  table: string;
  row: string;
  column: string;
  status: CellStatus;
  /** Shown instead of a check mark when set (pipelining: 'yes' or 'no'). */
  value?: string;
  /** Why a cell is n/a, what a failure said, or a measured detail (a refusal). */
  note?: string;
}

/** What a check may hand back: a value to show and a note to explain it. */
export interface Measured {
  value?: string;
  note?: string;
}

declare module 'vitest' {
  interface TaskMeta {
    compat?: Cell[];
  }
}

export interface CellSpec {
  table: string;
  row: string;
  column: string;
  /** The cell is n/a for this reason; the test still asserts what the server really does. */
  na?: string | undefined;
}

/** Runs `assertions`; records pass (or n/a) when they hold, fail with the error's first line otherwise. */
export async function cell(
  task: RunnerTestCase,
  spec: CellSpec,
  assertions: () => Promise<Measured | undefined> | Promise<void>,
): Promise<void> {
  const { na, ...where } = spec;
  task.meta.compat ??= [];
  const cells = task.meta.compat;
  try {
    const measured = (await assertions()) ?? {};
    const note = na ?? measured.note;
    cells.push({
      ...where,
      status: na === undefined ? 'pass' : 'na',
      ...(measured.value ? { value: measured.value } : {}),
      ...(note ? { note } : {}),
    });
  } catch (error) {
    const first = String(error instanceof Error ? error.message : error).split('\n')[0] ?? '';
    cells.push({ ...where, status: 'fail', note: first.slice(0, 200) });
    throw error;
  }
}
