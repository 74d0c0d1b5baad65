import { readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { TestCase, TestProject } from 'vitest/node';
import { renderCompatibility } from './report.js';
import { HOW_TO_FIX, isCi, missingPieces, probeTestbed, REPO } from './testbed.js';

const DOC = join(REPO, 'docs/compatibility.md');

export default async function setup(project: TestProject) {
  const state = await probeTestbed();
  project.provide('testbed', state);
  if (!state.ok) {
    const verdict = isCi() ? 'CI=true: every interop test FAILS' : 'the interop tests are SKIPPED';
    const missing = missingPieces();
    const also = missing ? `\n${missing.replace(/^/gm, '  ')}` : '';
    process.stderr.write(
      `\ninterop: no usable test bed (${state.problem}); ${verdict}.${also}\n${HOW_TO_FIX}\n\n`,
    );
  }
  return () => {
    if (!state.ok) return;
    const tests = project.vitest.state.getTestModules().flatMap((m) => [...m.children.allTests()]);
    const why = partialRun(project, tests);
    if (why) {
      process.stderr.write(`interop: docs/compatibility.md left as it is: ${why}\n`);
      return;
    }
    const cells = tests.flatMap((t) => t.meta().compat ?? []);
    const failed = tests.filter((t) => t.result().state === 'failed').length;
    writeFileSync(DOC, renderCompatibility({ cells, testbed: state.testbed, tests: tests.length, failed }));
    process.stderr.write(`interop: wrote docs/compatibility.md (${cells.length} cells)\n`);
  };
}

/** Why this run does not cover the whole matrix (a file or name filter, skipped tests), if so. */
function partialRun(project: TestProject, tests: TestCase[]): string | undefined {
  if (project.vitest.config.testNamePattern) return 'a test name filter was given';
  const ran = new Set(project.vitest.state.getTestModules().map((m) => basename(m.moduleId)));
  const all = readdirSync(join(REPO, 'test/interop')).filter((f) => f.endsWith('.test.ts'));
  const missing = all.filter((f) => !ran.has(f));
  if (missing.length > 0) return `not every file ran (missing ${missing.join(', ')})`;
  const skipped = tests.filter((t) => t.result().state !== 'passed' && t.result().state !== 'failed');
  if (skipped.length > 0) return `${skipped.length} test(s) did not run`;
  return undefined;
}
