// Starts the firewall lab (scripts/testbed/lab/up.sh) before the suite and stops it after.
// The lab needs root, network namespaces and nftables: without them every test fails (with
// or without CI=true), since the suite exists only to run against a real firewall.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { LAB_SCRIPTS, type Lab, readLab } from './lab.js';

const run = promisify(execFile);

declare module 'vitest' {
  export interface ProvidedContext {
    lab: Lab | { problem: string };
  }
}

export default async function setup(project: TestProject) {
  let lab: Lab | { problem: string };
  try {
    const { stdout } = await run('bash', [
      '-c',
      `source "${join(LAB_SCRIPTS, 'lib.sh')}" && echo "$LAB_STATE"`,
    ]);
    await run(join(LAB_SCRIPTS, 'up.sh'), { timeout: 90_000 });
    lab = readLab(stdout.trim());
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    const problem = (e.stderr || e.message).trim();
    process.stderr.write(`\nfirewall lab: could not start: ${problem}\nevery firewall test FAILS.\n\n`);
    lab = { problem };
  }
  project.provide('lab', lab);
  return async () => {
    if (process.env.FIREWALL_KEEP_LAB === '1') return;
    await run(join(LAB_SCRIPTS, 'down.sh')).catch(() => {});
  };
}
