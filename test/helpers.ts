/** Shared helpers for the chain tests: URLs for fixtures, a round trip, error assertions. */
import type net from 'node:net';
import { inspect } from 'node:util';
import { expect } from 'vitest';
import { ChainError, type ChainErrorCode, type Phase } from '../src/index.js';
import type { Fixture } from './fixtures/index.js';

export const SECRET = 'pa:ss@w0rd/%secret';
export const USER = 'alice';

export type Scheme = 'http' | 'https' | 'socks4' | 'socks4a' | 'socks5' | 'socks5h';

/** A hop URL for a fixture, with percent-encoded credentials when given. */
export function hopUrl(
  scheme: Scheme,
  fixture: Pick<Fixture, 'host' | 'port'>,
  auth?: { user: string; pass?: string },
) {
  const host = fixture.host.includes(':') ? `[${fixture.host}]` : fixture.host;
  let userinfo = '';
  if (auth) {
    userinfo = encodeURIComponent(auth.user);
    if (auth.pass !== undefined) userinfo += `:${encodeURIComponent(auth.pass)}`;
    userinfo += '@';
  }
  return `${scheme}://${userinfo}${host}:${fixture.port}`;
}

/** Writes `data` and resolves with the first `data.length` bytes echoed back. */
export function echo(socket: net.Socket, data: string): Promise<string> {
  return readAtLeast(socket, Buffer.byteLength(data), () => socket.write(data));
}

/** Reads until at least `n` bytes arrived (after calling `start`). */
export function readAtLeast(socket: net.Socket, n: number, start?: () => void): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length >= n) {
        socket.off('data', onData);
        socket.off('error', reject);
        resolve(got.toString('utf8'));
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    start?.();
  });
}

export async function expectChainError(
  promise: Promise<unknown>,
  expected: { code: ChainErrorCode; hopIndex?: number; phase?: Phase },
): Promise<ChainError> {
  const error = await promise.then(
    () => {
      throw new Error(`expected ${expected.code}, but it succeeded`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ChainError);
  const chainError = error as ChainError;
  expect({ code: chainError.code, message: chainError.message }).toMatchObject({ code: expected.code });
  if (expected.hopIndex !== undefined) expect(chainError.hopIndex).toBe(expected.hopIndex);
  if (expected.phase !== undefined) expect(chainError.phase).toBe(expected.phase);
  expectNoSecret(chainError);
  return chainError;
}

/** Every rendering of a value (message, JSON, inspect, stack, cause) is free of the password. */
export function expectNoSecret(value: unknown, secret = SECRET): void {
  const renderings = [String(value), inspect(value, { depth: 10, showHidden: true }), safeJson(value)];
  if (value instanceof Error) renderings.push(value.stack ?? '', String(value.cause ?? ''));
  for (const text of renderings) {
    expect(text).not.toContain(secret);
    expect(text).not.toContain(encodeURIComponent(secret));
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

/** TCP sockets open in this process (client and server side). */
export function openTcpHandles(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'TCPSocketWrap').length;
}

/** Waits until `check` holds, polling; for asynchronous teardown. */
export async function eventually(check: () => boolean, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
