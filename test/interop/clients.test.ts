/**
 * The ways in: `chain.agent()` (node:http/https), `chain.dispatcher()` (fetch),
 * `chain.connect()` with a server-speaks-first exchange, over mixed multi-hop chains; and the
 * CLI's `sockschain serve` (built dist/) used by curl through its SOCKS and HTTP listeners, for
 * each server alone and for long chains.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Chain } from '../../src/index.js';
import { agentGet, bannerExchange, dispatcherFetch, type OriginEcho } from './exchange.js';
import { cell } from './record.js';
import { chainOptions, hopUrl, server } from './servers.js';
import { REPO, type Testbed } from './testbed.js';
import { useTestbed } from './use-testbed.js';

const testbed = useTestbed();

/** Chains for the library's own clients: the last hop HTTP (absolute-form), SOCKS, HTTPS. */
const CLIENT_CHAINS = [
  ['dante-auth', 'stunnel-squid-open', 'tinyproxy-basic'],
  ['squid-digest', 'ssh-socks', 'microsocks-auth'],
  ['microsocks-open', 'tinyproxy-open', 'stunnel-squid-basic'],
];

/** Chains for `sockschain serve`: each server alone, and two long ones. */
function serveChains(bed: Testbed): string[][] {
  return [
    ...bed.servers.map((s) => [s.name]),
    ['squid-digest', 'dante-auth', 'stunnel-squid-basic', 'microsocks-auth'],
    ['stunnel-squid-basic', 'stunnel-squid-open', 'ssh-socks'],
  ];
}

const CLI = join(REPO, 'bin/sockschain.js');
const CURL = ['/usr/bin/curl', '/usr/local/bin/curl', '/bin/curl'].find((p) => existsSync(p));

function curl(args: string[]): Promise<OriginEcho> {
  return new Promise((resolve, reject) => {
    if (!CURL) return reject(new Error('curl not found: install it (scripts/testbed/install.sh does)'));
    execFile(
      CURL,
      ['-sS', '--fail', '--max-time', '10', ...args],
      { env: { PATH: process.env.PATH } },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`curl ${args.join(' ')}: ${stderr.trim() || error.message}`));
        resolve(JSON.parse(stdout) as OriginEcho);
      },
    );
  });
}

/** `sockschain serve` on two ephemeral ports; resolves once both "listening URL" lines are out. */
function serve(configPath: string): Promise<{ child: ChildProcess; socks: string; http: string }> {
  const child = spawn(
    process.execPath,
    [
      CLI,
      'serve',
      '--config',
      configPath,
      '-q',
      '--listen',
      'socks5://127.0.0.1:0',
      '--listen',
      'http://127.0.0.1:0',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const urls = [...out.matchAll(/^listening (\S+)$/gm)].map((m) => m[1] as string);
      const socks = urls.find((u) => u.startsWith('socks5://'));
      const http = urls.find((u) => u.startsWith('http://'));
      if (socks && http) resolve({ child, socks, http });
    });
    child.once('exit', (code) => reject(new Error(`sockschain serve exited (${code}): ${err.trim()}`)));
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

if (testbed) {
  const bed = testbed;
  const { http: httpOrigin, https: httpsOrigin, banner } = bed.origins;
  const chainOf = (names: string[]) =>
    new Chain(
      names.map((n) => hopUrl(bed, server(bed, n))),
      chainOptions(bed),
    );

  describe.concurrent.each(CLIENT_CHAINS.map((names) => [names.join(' → '), names] as const))(
    '%s',
    (label, names) => {
      it('agent: http (absolute-form when the last hop is HTTP) and https', async ({ task }) => {
        await cell(
          task,
          { table: 'clients', row: 'chain.agent() (node:http, node:https)', column: label },
          async () => {
            const chain = chainOf(names);
            expect((await agentGet(chain, httpOrigin.url, bed)).origin).toBe('http');
            expect((await agentGet(chain, httpsOrigin.url, bed)).origin).toBe('https');
          },
        );
      });

      it('dispatcher: fetch of http and https', async ({ task }) => {
        await cell(task, { table: 'clients', row: 'chain.dispatcher() (fetch)', column: label }, async () => {
          const chain = chainOf(names);
          expect((await dispatcherFetch(chain, httpOrigin.url, bed)).origin).toBe('http');
          expect((await dispatcherFetch(chain, httpsOrigin.url, bed)).origin).toBe('https');
        });
      });

      it('chain.connect: the server speaks first', async ({ task }) => {
        await cell(
          task,
          { table: 'clients', row: 'chain.connect() (server speaks first)', column: label },
          async () => {
            await bannerExchange(await chainOf(names).connect(banner), bed);
          },
        );
      });
    },
  );

  describe('sockschain serve used by curl', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockschain-interop-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it.concurrent.for(serveChains(bed).map((names) => [names.join(' → '), names] as const))(
      '%s',
      async ([label, names], { task }) => {
        expect(existsSync(join(REPO, 'dist/cli/main.js')), 'dist/ is missing: run npm run build').toBe(true);
        const config = join(dir, `${names.join('_')}.json`);
        const hops = names.map((n) => hopUrl(bed, server(bed, n)));
        writeFileSync(config, JSON.stringify({ hops, options: { ca: bed.ca, hopTimeoutMs: 4000 } }));
        const { child, socks, http } = await serve(config);
        try {
          const socksProxy = socks.replace(/^socks5:/, 'socks5h:');
          await cell(
            task,
            { table: 'clients', row: 'sockschain serve + curl, SOCKS5 listener', column: label },
            async () => {
              expect((await curl(['--proxy', socksProxy, httpOrigin.url])).origin).toBe('http');
              expect((await curl(['--proxy', socksProxy, '--cacert', bed.ca, httpsOrigin.url])).origin).toBe(
                'https',
              );
            },
          );
          await cell(
            task,
            { table: 'clients', row: 'sockschain serve + curl, HTTP listener', column: label },
            async () => {
              expect((await curl(['--proxy', http, httpOrigin.url])).origin).toBe('http');
              expect((await curl(['--proxy', http, '--cacert', bed.ca, httpsOrigin.url])).origin).toBe(
                'https',
              );
            },
          );
        } finally {
          expect(await stop(child)).toBe(0);
        }
      },
    );
  });
}
