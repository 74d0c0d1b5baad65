/**
 * The real-proxy test bed as the interop suite sees it: testbed.json (written by
 * scripts/testbed/start.sh) and a check that every port it names answers. Under CI a missing
 * or broken test bed fails the run; on a developer machine the suite is skipped with a message
 * that says what is missing and the commands that fix it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export type ServerKind = 'squid' | 'tinyproxy' | 'dante' | 'microsocks' | 'ssh' | 'stunnel';

export interface Address {
  host: string;
  port: number;
}

export interface ServerAuth {
  username: string;
  password: string;
  scheme: 'basic' | 'digest' | 'socks5';
}

export interface TestbedServer {
  name: string;
  kind: ServerKind;
  protocol: 'http' | 'https' | 'socks5';
  host: string;
  port: number;
  auth: ServerAuth | null;
  version: string;
  supports: string[];
  deniedTarget: Address | null;
  process: string;
  upstream?: string;
}

export interface Testbed {
  schema: 1;
  stateDir: string;
  host: string;
  ca: string;
  origins: {
    http: Address & { url: string };
    https: Address & { url: string; servername: string };
    banner: Address & { banner: string };
  };
  deniedTarget: Address;
  closedTarget: Address;
  credentials: { wrongPassword: string };
  versions: Record<string, string>;
  servers: TestbedServer[];
}

/** Where testbed.json lives: TESTBED_STATE (a running test bed's state dir) or REPO/.testbed. */
export function stateDir(): string {
  return resolve(process.env.TESTBED_STATE || join(REPO, '.testbed'));
}

export function readTestbed(): Testbed {
  return JSON.parse(readFileSync(join(stateDir(), 'testbed.json'), 'utf8')) as Testbed;
}

function answers({ host, port }: Address, ms = 1000): Promise<boolean> {
  return new Promise((done) => {
    const socket = net.connect({ host, port });
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(ms, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

export type TestbedState = { ok: true; testbed: Testbed } | { ok: false; problem: string };

declare module 'vitest' {
  interface ProvidedContext {
    /** Probed once by setup.ts. */
    testbed: TestbedState;
  }
}

/** Reads testbed.json and checks that every server and origin port answers. */
export async function probeTestbed(): Promise<TestbedState> {
  let testbed: Testbed;
  try {
    testbed = readTestbed();
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : String(error);
    return {
      ok: false,
      problem: `${join(stateDir(), 'testbed.json')}: ${why} (the test bed was never started)`,
    };
  }
  if (testbed.schema !== 1)
    return { ok: false, problem: `testbed.json has schema ${testbed.schema}, want 1` };
  const { http, https, banner } = testbed.origins;
  const named = [
    ...testbed.servers.map((s) => ({ name: s.name, address: { host: s.host, port: s.port } })),
    { name: 'http origin', address: http },
    { name: 'https origin', address: https },
    { name: 'banner origin', address: banner },
  ];
  const down = (await Promise.all(named.map(async (n) => ((await answers(n.address)) ? '' : n.name)))).filter(
    Boolean,
  );
  if (down.length > 0) return { ok: false, problem: `not answering: ${down.join(', ')}` };
  if (await answers(testbed.closedTarget)) {
    return {
      ok: false,
      problem: `the "closed" port ${testbed.closedTarget.port} answers: something else holds it`,
    };
  }
  return { ok: true, testbed };
}

/** What install.sh --check says is missing (packages, the dante user), or '' when nothing is. */
export function missingPieces(): string {
  const check = spawnSync('bash', [join(REPO, 'scripts/testbed/install.sh'), '--check'], {
    encoding: 'utf8',
  });
  if (check.status === 0) return '';
  return (
    `${check.stdout ?? ''}${check.stderr ?? ''}`.trim() ||
    `install.sh --check failed (${check.error ?? check.status})`
  );
}

/** What to run to get a test bed, for the message printed when there is none. */
export const HOW_TO_FIX = [
  'The interop suite needs the real-proxy test bed (Debian/Ubuntu, root):',
  '  sudo scripts/testbed/install.sh   # squid tinyproxy dante-server microsocks openssh stunnel4 curl ..., user bob',
  '  sudo scripts/testbed/start.sh     # starts them on 127.0.0.1:13100-13199, writes .testbed/testbed.json',
  '  npm run test:interop',
  'TESTBED_STATE=DIR points the suite at a test bed started with another state dir.',
  'See scripts/testbed/README.md.',
].join('\n');

export function isCi(): boolean {
  return process.env.CI === 'true' || process.env.CI === '1';
}
