/** `sockschain check` (issue #5). */
import type { CliIo } from './io.js';

export async function run(_argv: string[], io: CliIo): Promise<number> {
  io.stderr.write('sockschain check: not implemented yet\n');
  return 70;
}
