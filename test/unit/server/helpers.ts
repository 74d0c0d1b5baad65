/** Helpers for the serve tests: curl, raw SOCKS/HTTP clients, and a log collector. */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import net from 'node:net';
import { expect } from 'vitest';
import { type ConnectionRecord, formatRecord } from '../../../src/server/serve.js';
import { readAtLeast } from '../../helpers.js';

const CURL_CANDIDATES = ['/usr/bin/curl', '/usr/local/bin/curl', '/bin/curl'];

/** curl's path; a missing curl fails the test (never skips it), in CI and locally alike. */
export function curlPath(): string {
  for (const path of CURL_CANDIDATES) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {}
  }
  throw new Error(
    `curl is needed by the serve tests and was not found (${CURL_CANDIDATES.join(', ')}): install it`,
  );
}

export interface CurlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs curl asynchronously (the server under test lives in this process) with no proxy variables. */
export function curl(args: string[]): Promise<CurlResult> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
  return new Promise((resolve, reject) => {
    execFile(
      curlPath(),
      ['-sS', '--max-time', '10', ...args],
      { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (error as NodeJS.ErrnoException & { code?: unknown }).code : 0;
        if (typeof code !== 'number') return reject(error);
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Collects the server's records and renders them as the CLI would, verbose and not. */
export class RecordLog {
  readonly records: ConnectionRecord[] = [];
  readonly onConnection = (record: ConnectionRecord) => {
    this.records.push(record);
  };

  lines(verbose = true): string[] {
    return this.records.map((record) => formatRecord(record, { verbose }));
  }

  /** Waits until `n` records have arrived in all. */
  async waitFor(n: number, ms = 3000): Promise<ConnectionRecord[]> {
    const until = Date.now() + ms;
    while (this.records.length < n) {
      if (Date.now() > until) throw new Error(`expected ${n} log records, got ${this.records.length}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.records;
  }

  last(): ConnectionRecord {
    const record = this.records.at(-1);
    if (!record) throw new Error('no record yet');
    return record;
  }
}

/** `host:port` of a listener URL such as `socks5://127.0.0.1:40123`. */
export function hostPortOf(url: string): string {
  return url.replace(/^[a-z0-9]+:\/\//, '');
}

export function portOf(url: string): number {
  return Number(/:(\d+)$/.exec(url)?.[1]);
}

export function connectTo(port: number, host = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything the server sends until it closes the connection. */
export function readToEnd(socket: net.Socket, ms = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => reject(new Error('the server did not close the connection')), ms);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('error', () => {});
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    // exchange() leaves the socket paused.
    socket.resume();
  });
}

/** A SOCKS5 CONNECT by hand; resolves with the reply code and the still-open socket. */
export async function socks5Connect(
  port: number,
  target: { host: string; port: number },
  auth?: { username: string; password: string },
): Promise<{ reply: number; socket: net.Socket; authStatus?: number }> {
  const socket = await connectTo(port);
  const greeting = await exchange(socket, Buffer.from([5, 1, auth ? 2 : 0]), 2);
  expect(greeting[0]).toBe(5);
  if (greeting[1] === 0xff) return { reply: 0xff, socket };
  let authStatus: number | undefined;
  if (auth) {
    const user = Buffer.from(auth.username);
    const pass = Buffer.from(auth.password);
    const status = await exchange(
      socket,
      Buffer.concat([Buffer.from([1, user.length]), user, Buffer.from([pass.length]), pass]),
      2,
    );
    authStatus = status[1];
    if (authStatus !== 0) return { reply: -1, socket, authStatus };
  }
  const host = Buffer.from(target.host);
  const portBytes = Buffer.alloc(2);
  portBytes.writeUInt16BE(target.port);
  const request = net.isIPv4(target.host)
    ? Buffer.concat([Buffer.from([5, 1, 0, 1, ...target.host.split('.').map(Number)]), portBytes])
    : Buffer.concat([Buffer.from([5, 1, 0, 3, host.length]), host, portBytes]);
  const reply = await exchange(socket, request, 10);
  return { reply: reply[1] as number, socket, authStatus };
}

/** A SOCKS4a CONNECT by hand (host name form); resolves with the reply code. */
export async function socks4aConnect(
  port: number,
  target: { host: string; port: number },
): Promise<{ reply: number; socket: net.Socket }> {
  const socket = await connectTo(port);
  const head = Buffer.from([4, 1, 0, 0, 0, 0, 0, 1]);
  head.writeUInt16BE(target.port, 2);
  const request = Buffer.concat([head, Buffer.from('user\0'), Buffer.from(`${target.host}\0`)]);
  const reply = await exchange(socket, request, 8);
  return { reply: reply[1] as number, socket };
}

/** Writes `data` and resolves with exactly the next `n` bytes; the socket is left paused, later bytes kept. */
export function exchange(socket: net.Socket, data: Buffer, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length >= n) {
        done();
        socket.pause();
        if (got.length > n) socket.unshift(got.subarray(n));
        resolve(got.subarray(0, n));
      }
    };
    const onClose = () => {
      done();
      reject(new Error(`the server closed the connection after ${got.length} of ${n} bytes`));
    };
    const done = () => {
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onClose);
    };
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onClose);
    socket.write(data);
    socket.resume();
  });
}

/** readAtLeast for a socket that exchange() left paused. */
export function readMore(socket: net.Socket, n: number): Promise<string> {
  return readAtLeast(socket, n, () => socket.resume());
}
