/**
 * A fetch aborted by its own signal while its tunnel opens takes the tunnel down with it: the
 * proxy sees its socket closed at once, not when the chain's deadline passes. The first hop
 * here accepts and never answers, so every tunnel stays "opening" until something ends it.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chain } from '../../../src/index.js';
import { eventually } from '../../helpers.js';

let silent: net.Server;
let port: number;
const open = new Set<net.Socket>();
let accepted = 0;

beforeAll(async () => {
  silent = net.createServer((socket) => {
    accepted++;
    open.add(socket);
    // It reads (as a proxy does), so it sees the client close.
    socket.resume();
    socket.on('error', () => {});
    socket.on('close', () => open.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  port = (silent.address() as net.AddressInfo).port;
});

afterAll(async () => {
  for (const socket of open) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

/** `count` fetches through `dispatcher`, aborted once each has its socket at the silent hop. */
async function abortedFetches(url: string, dispatcher: unknown, count: number): Promise<unknown[]> {
  const from = accepted;
  const controllers = Array.from({ length: count }, () => new AbortController());
  const results = controllers.map((controller) =>
    fetch(url, { dispatcher, signal: controller.signal } as unknown as RequestInit).catch((e: unknown) => e),
  );
  await eventually(() => accepted - from >= count, 10_000);
  for (const controller of controllers) controller.abort();
  return Promise.all(results);
}

describe('fetch aborted while its tunnel opens', () => {
  it.each([
    ['a tunnel (https:// target)', 'https://127.0.0.1:4/'],
    ['absolute-form to the HTTP last hop (http:// target)', 'http://127.0.0.1:4/'],
  ])(
    '1,000 aborted fetches leave no socket open at the proxy: %s',
    async (_name, url) => {
      // Hop 1 is the silent server; hop 2 is never reached. The deadlines are far away: only
      // the aborts can close the silent hop's sockets within the test.
      const chain = new Chain([`socks5://127.0.0.1:${port}`, 'http://127.0.0.1:2'], {
        timeoutMs: 120_000,
        hopTimeoutMs: 120_000,
      });
      const dispatcher = chain.dispatcher();
      try {
        for (let batch = 0; batch < 10; batch++) {
          const results = await abortedFetches(url, dispatcher, 100);
          for (const result of results) expect((result as Error).name).toBe('AbortError');
          await eventually(() => open.size === 0, 3000);
        }
      } finally {
        await chain.close();
      }
    },
    120_000,
  );
});
