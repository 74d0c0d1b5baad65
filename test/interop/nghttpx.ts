/**
 * nghttpx (Debian nghttp2-proxy) as an HTTP/2 proxy in front of the test bed's squid-open:
 * it takes each CONNECT stream and forwards it to squid as an HTTP/1.1 CONNECT. Started by
 * the tests that need it, on an ephemeral port, with the test bed's server certificate; a
 * counting TCP relay in front of it shows how many connections the client opened.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { dirname, join } from 'node:path';
import type { Testbed } from './testbed.js';

export function hasNghttpx(): boolean {
  return spawnSync('nghttpx', ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface Nghttpx {
  /** The relay's port: what the chain dials. */
  port: number;
  /** Client connections through the relay so far. */
  connections(): number;
  /** Cuts every client connection (a lost connection, as the client sees it). */
  cut(): void;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`nghttpx exited (${child.exitCode}): ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nghttpx did not listen on ${port}: ${log()}`);
}

export async function startNghttpx(bed: Testbed, backendPort: number): Promise<Nghttpx> {
  const tlsDir = dirname(bed.ca);
  const port = await freePort();
  let log = '';
  const child = spawn(
    'nghttpx',
    [
      '--conf=/dev/null',
      '-s', // HTTP/2 proxy mode: CONNECT streams forwarded to the backend proxy
      `--frontend=127.0.0.1,${port}`,
      `--backend=127.0.0.1,${backendPort}`,
      '--no-ocsp',
      '--single-process',
      // Each tunnel holds one backend connection; the default of 8 would queue the rest.
      '--backend-connections-per-host=256',
      '--errorlog-file=/dev/stderr',
      '--accesslog-file=/dev/null',
      join(tlsDir, 'server.key'),
      join(tlsDir, 'server.crt'),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-2000);
  });
  await waitForPort(port, child, () => log);

  let connections = 0;
  const open = new Set<net.Socket>();
  const relay = net.createServer((client) => {
    connections++;
    const upstream = net.connect(port, '127.0.0.1');
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  return {
    port: (relay.address() as net.AddressInfo).port,
    connections: () => connections,
    cut: () => {
      for (const s of open) s.destroy();
    },
    stop: async () => {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
