/**
 * A TLS-intercepting proxy in the chain (mitmproxy's mitmdump, started here on port 14420 as
 * a regular HTTP proxy, hop of the chain): it re-signs the test bed's https origin with its
 * own CA. The target TLS error through each adapter names that issuer and says a middlebox
 * may be re-signing; trusting mitmproxy's CA as targetTls.ca makes it work.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chain, ChainError } from '../../src/index.js';
import { useTestbed } from './use-testbed.js';

const testbed = useTestbed();
const PORT = 14420;
let mitm: ChildProcess | undefined;
let confdir: string;

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

beforeAll(async () => {
  if (!testbed) return;
  confdir = mkdtempSync(join(tmpdir(), 'sockschain-mitm-'));
  // --ssl-insecure: the origin's certificate comes from the test bed's CA, unknown to mitmproxy.
  mitm = spawn(
    'mitmdump',
    [
      '--listen-host',
      '127.0.0.1',
      '--listen-port',
      String(PORT),
      '--set',
      `confdir=${confdir}`,
      '--ssl-insecure',
      '-q',
    ],
    { stdio: 'ignore' },
  );
  mitm.on('error', () => {});
  for (let i = 0; i < 150 && !(await listening(PORT)); i++) await new Promise((r) => setTimeout(r, 100));
  if (!(await listening(PORT))) throw new Error('mitmdump did not start (Debian package mitmproxy)');
}, 30_000);

afterAll(async () => {
  if (mitm && mitm.exitCode === null) {
    await new Promise((resolve) => {
      mitm?.once('exit', resolve);
      mitm?.kill('SIGTERM');
    });
  }
  if (confdir) rmSync(confdir, { recursive: true, force: true });
});

function expectInterceptionNamed(error: unknown): void {
  expect(error).toBeInstanceOf(ChainError);
  expect(error).toMatchObject({ code: 'TLS_FAILED', hopIndex: -1, phase: 'tls' });
  expect((error as Error).message).toContain('issued by "CN=mitmproxy, O=mitmproxy"');
  expect((error as Error).message).toMatch(/re-signing/);
}

describe.runIf(testbed)('https target behind mitmproxy (re-signed)', () => {
  const chainOf = (extra = {}) => new Chain([`http://127.0.0.1:${PORT}`], { timeoutMs: 10_000, ...extra });
  const url = () => (testbed as NonNullable<typeof testbed>).origins.https.url;

  it('agent, dispatcher and fetch name the issuer and the interception', async () => {
    const chain = chainOf();
    try {
      const viaAgent = await new Promise((resolve) => {
        https.get(url(), { agent: chain.agent() }, () => resolve(undefined)).on('error', resolve);
      });
      expectInterceptionNamed(viaAgent);
      const viaDispatcher = await fetch(url(), {
        dispatcher: chain.dispatcher(),
      } as unknown as RequestInit).catch((e: unknown) => e);
      expectInterceptionNamed((viaDispatcher as Error).cause);
      const viaFetch = await chain.fetch(url()).catch((e: unknown) => e);
      expectInterceptionNamed((viaFetch as Error).cause);
    } finally {
      await chain.close();
    }
  });

  it("works once mitmproxy's CA is trusted for targets", async () => {
    const chain = chainOf({ targetTls: { ca: readFileSync(join(confdir, 'mitmproxy-ca-cert.pem')) } });
    try {
      const response = await chain.fetch(url());
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    } finally {
      await chain.close();
    }
  });
});
