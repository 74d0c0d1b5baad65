/** `sockschain serve` as a long-running subprocess of the built CLI: its URLs, its log, its exit. */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { cleanEnv, ROOT } from '../cli/run-cli.js';

export interface ServeProcess {
  child: ChildProcessWithoutNullStreams;
  /** The `listening URL` lines, in order. */
  urls: string[];
  stdout(): string;
  stderr(): string;
  /** Waits until stderr holds `n` lines matching `pattern`. */
  waitForLog(pattern: RegExp, n?: number, ms?: number): Promise<string[]>;
  /** Sends the signal and resolves with the exit code once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

/** Starts `sockschain serve ...args` and resolves once every listener is announced. */
export function startServe(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; listeners?: number } = {},
): Promise<ServeProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/sockschain.js'), 'serve', ...args], {
    cwd: ROOT,
    env: options.env ?? cleanEnv(),
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const expected = options.listeners ?? args.filter((arg) => arg === '--listen' || arg === '-l').length;
  const urls = () => [...out.matchAll(/^listening (\S+)$/gm)].map((m) => m[1] as string);
  const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
  void exited.then(() => clearTimeout(kill));
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const check = setInterval(() => {
      if (urls().length >= Math.max(1, expected)) {
        clearInterval(check);
        resolve(handle());
      } else if (child.exitCode !== null || performance.now() - started > 15_000) {
        clearInterval(check);
        child.kill('SIGKILL');
        reject(new Error(`serve did not start (exit ${child.exitCode}): ${err}`));
      }
    }, 10);
  });

  function handle(): ServeProcess {
    return {
      child,
      urls: urls(),
      stdout: () => out,
      stderr: () => err,
      async waitForLog(pattern, n = 1, ms = 5000) {
        const until = Date.now() + ms;
        for (;;) {
          const lines = err.split('\n').filter((line) => pattern.test(line));
          if (lines.length >= n) return lines;
          if (Date.now() > until)
            throw new Error(`expected ${n} log line(s) matching ${pattern}, stderr:\n${err}`);
          await new Promise((r) => setTimeout(r, 10));
        }
      },
      stop(signal = 'SIGTERM') {
        child.kill(signal);
        return exited;
      },
      exited,
    };
  }
}
