// Sums vitest JSON reports into the one closing line CI reads: "N passed, N failed".
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? '.ci/results';
let passed = 0;
let failed = 0;
let files = 0;
for (const name of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
  const report = JSON.parse(readFileSync(join(dir, name), 'utf8'));
  files++;
  passed += report.numPassedTests ?? 0;
  // Skipped or pending tests do not count as passing.
  failed += report.numFailedTests ?? 0;
  // A file that failed to load has no failed test but makes the run unsuccessful.
  if (!report.success && !report.numFailedTests) failed += Math.max(1, report.numFailedTestSuites ?? 0);
  if (report.numPendingTests || report.numTodoTests) {
    console.log(`${name}: ${report.numPendingTests ?? 0} skipped, ${report.numTodoTests ?? 0} todo`);
  }
}
if (files === 0) failed++;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
