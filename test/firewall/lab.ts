// The firewall lab seen from the tests: where it is (scripts/testbed/lab/up.sh writes lab.json),
// how to set and clear netfilter rules in its namespace, and how to run `sockschain probe`
// inside it (the namespace's `lo` is the only network the client and the proxies have).
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const LAB_SCRIPTS = join(REPO, 'scripts/testbed/lab');
/** The CLI under test; FIREWALL_BIN points the suite at another build (e.g. a baseline). */
export const BIN = process.env.FIREWALL_BIN ?? join(REPO, 'bin/sockschain.js');

export interface Lab {
  netns: string;
  state: string;
  host: string;
  caFile: string;
  mitmCaFile: string;
  ports: Record<
    | 'originHttp'
    | 'originHttps'
    | 'banner'
    | 'denied'
    | 'squidOpen'
    | 'squidBasic'
    | 'danteOpen'
    | 'danteAuth'
    | 'stunnelOpen'
    | 'stunnelBasic'
    | 'mitm',
    number
  >;
  users: Record<'squid' | 'dante' | 'stunnel' | 'mitm', string>;
  credentials: Record<'squid' | 'dante', { user: string; pass: string }>;
}

export function readLab(stateDir: string): Lab {
  return JSON.parse(readFileSync(join(stateDir, 'lab.json'), 'utf8')) as Lab;
}

/**
 * Rules for one scenario. `filter`: nft rules on the output hook (on `lo` every packet passes
 * it, so one chain covers every link). `nat`: nft rules on the nat output hook (redirects to
 * the TLS interceptor). `iptables`: argument lists appended to OUTPUT, for payload matches
 * (`-m string`, `-m u32`) that nft cannot express at a variable TCP data offset.
 */
export interface Rules {
  filter?: string[];
  nat?: string[];
  iptables?: string[][];
}

function inNs(lab: Lab, cmd: string, args: string[], input?: string): Promise<{ stdout: string }> {
  const child = run('ip', ['netns', 'exec', lab.netns, cmd, ...args]);
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  return child;
}

export async function applyRules(lab: Lab, rules: Rules): Promise<void> {
  const tables: string[] = [];
  if (rules.filter?.length) {
    // In `nft -f` every rule needs its own line before the closing brace.
    tables.push(
      `table inet lab_filter {\n chain out {\n  type filter hook output priority 0; policy accept;\n  ${rules.filter.join('\n  ')}\n }\n}`,
    );
  }
  if (rules.nat?.length) {
    tables.push(
      `table ip lab_nat {\n chain out {\n  type nat hook output priority -100; policy accept;\n  ${rules.nat.join('\n  ')}\n }\n}`,
    );
  }
  if (tables.length > 0) await inNs(lab, 'nft', ['-f', '-'], `${tables.join('\n')}\n`);
  for (const args of rules.iptables ?? []) await inNs(lab, 'iptables', ['-A', 'OUTPUT', ...args]);
}

/** Clears every rule, nft and iptables-nft alike (both live in the namespace's nf_tables). */
export async function flushRules(lab: Lab): Promise<void> {
  await inNs(lab, 'nft', ['flush', 'ruleset']);
}

export async function listRules(lab: Lab): Promise<string> {
  return (await inNs(lab, 'nft', ['list', 'ruleset'])).stdout;
}

export interface ProbeRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Wall-clock time of the whole command, Node's start included. */
  ms: number;
  // biome-ignore lint/suspicious/noExplicitAny: the CLI's JSON, checked field by field
  json: any;
}

/** `sockschain probe` run inside the lab's namespace, as root (the client's socket owner is 0). */
export function probe(lab: Lab, args: string[], timeoutMs: number): Promise<ProbeRun> {
  const argv = ['netns', 'exec', lab.netns, process.execPath, BIN, 'probe', '--timeout', String(timeoutMs)];
  argv.push('--ca', lab.caFile, ...args);
  const t0 = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn('ip', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (status) => {
      let json: unknown = null;
      if (args.includes('--json')) {
        try {
          json = JSON.parse(stdout);
        } catch {
          json = null;
        }
      }
      resolvePromise({ status, stdout, stderr, ms: performance.now() - t0, json });
    });
  });
}
