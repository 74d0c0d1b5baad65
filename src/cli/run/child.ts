/**
 * Runs CMD for `sockschain run` as a shell would: its own stdio (a terminal stays one), the
 * signals we receive passed on, and its exit status as ours (128+N for signal N).
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export interface ChildResult {
  exitCode: number;
  /** Why CMD could not start (not found, not executable), for stderr. */
  error?: string;
}

export function runChild(
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<ChildResult> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: 'inherit', env });
    // A terminal's Ctrl-C reaches CMD too (same process group): it may see SIGINT twice,
    // as under npm run. A signal sent to us alone (kill PID, CI runners) must reach it.
    const forward = (signal: NodeJS.Signals) => {
      child.kill(signal);
    };
    for (const signal of FORWARDED) process.on(signal, forward);
    const done = (result: ChildResult) => {
      for (const signal of FORWARDED) process.off(signal, forward);
      resolve(result);
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') done({ exitCode: 127, error: `${file}: command not found` });
      else if (error.code === 'EACCES') done({ exitCode: 126, error: `${file}: permission denied` });
      else done({ exitCode: 126, error: `${file}: ${error.message}` });
    });
    child.once('exit', (code, signal) => {
      done({ exitCode: signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? 0) });
    });
  });
}
