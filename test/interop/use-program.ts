/**
 * A program a suite starts for itself (apache2, ncat). Missing, under CI=true the suite gets a
 * test that fails with the fix (as use-testbed.ts does for the test bed); elsewhere a skipped
 * test that says the same. Returns the path when it is there.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { it } from 'vitest';
import { isCi } from './testbed.js';

/** The first executable among `candidates` (absolute paths, or names looked up in PATH). */
export function findProgram(candidates: readonly string[]): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const candidate of candidates) {
    for (const path of candidate.startsWith('/') ? [candidate] : dirs.map((dir) => join(dir, candidate))) {
      try {
        accessSync(path, constants.X_OK);
        return path;
      } catch {}
    }
  }
  return undefined;
}

export function useProgram(what: string, candidates: readonly string[]): string | undefined {
  const path = findProgram(candidates);
  if (path) return path;
  const problem = `${what} is not installed (looked for ${candidates.join(', ')})`;
  const fix = 'sudo scripts/testbed/install.sh installs it';
  if (isCi()) {
    it(`has ${what} (required under CI=true)`, () => {
      throw new Error(`${problem}\n${fix}`);
    });
  } else {
    it.skip(`needs ${what}: ${problem}; ${fix}`, () => {});
  }
  return undefined;
}
