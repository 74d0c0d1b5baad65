/**
 * Runs the BUILT command line (bin/sockschain.js over dist/) as a subprocess, as users do.
 * dist/ is rebuilt first when any file under src/ is newer, under a lock directory so
 * that test files running in parallel do not build over each other.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';

export const ROOT = new URL('../../../', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/sockschain.js');
const MAIN = join(ROOT, 'dist/cli/main.js');
const LOCK = join(ROOT, 'dist/.cli-test-build.lock');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function builtMtime(): number {
  try {
    return statSync(MAIN).mtimeMs;
  } catch {
    return 0;
  }
}

function lockAge(): number {
  try {
    return statSync(LOCK).mtimeMs;
  } catch {
    return Date.now();
  }
}

export async function ensureBuilt(): Promise<void> {
  if (builtMtime() >= newestMtime(join(ROOT, 'src'))) return;
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  const until = Date.now() + 60_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // A lock older than any build is left over from a killed run.
      if (Date.now() - lockAge() > 120_000) rmSync(LOCK, { recursive: true, force: true });
      else if (Date.now() > until) throw new Error(`build lock ${LOCK} held too long`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    if (builtMtime() >= newestMtime(join(ROOT, 'src'))) return;
    // Type errors in files being edited elsewhere must not stop the emit: tsc emits anyway.
    await promisify(execFile)(join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json'], {
      cwd: ROOT,
    }).catch(() => undefined);
  } finally {
    rmdirSync(LOCK);
  }
  expect(builtMtime()).toBeGreaterThan(0);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The environment with every proxy variable removed, so only the test's own chain counts. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/proxy|^PROXY_CHAIN$|^SOCKSCHAIN_|^NO_COLOR$|^FORCE_COLOR$/i.test(key)) env[key] = value;
  }
  return { ...env, ...extra };
}

/** Runs `sockschain ...args` (asynchronously: the fixtures live in this process). */
export function runCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const began = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: options.env ?? cleanEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - began });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Neither stream holds the secret: raw, percent-encoded, in Basic form, or a telling piece of it. */
export function expectNoSecretIn(result: { stdout: string; stderr: string }, secret: string): void {
  const forms = [
    secret,
    encodeURIComponent(secret),
    secret.slice(2, -2),
    Buffer.from(`:${secret}`).toString('base64').slice(4, -4),
  ];
  for (const text of [result.stdout, result.stderr]) {
    for (const form of forms) expect(text).not.toContain(form);
  }
}
