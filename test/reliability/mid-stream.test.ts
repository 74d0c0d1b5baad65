/**
 * Issue #8: a hop killed mid-stream ends the affected streams promptly with an error, never
 * by silently cutting a body short. A large download runs through a 2-hop chain (CONNECT,
 * then SOCKS5) whose hops sit behind relays; once the body is flowing, one hop dies (its
 * connections closed, or reset). The agent's response, the dispatcher's body and a raw tunnel
 * must each end within a second, the first two with an error.
 */
import http from 'node:http';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chain } from '../../src/index.js';
import { type Fixture, startHttpOrigin, startHttpProxy, startSocksServer } from '../fixtures/index.js';
import { hopUrl, SECRET, USER } from '../helpers.js';
import { type Relay, startRelay } from '../soak/relay.js';

const BODY = 32 * 1024 * 1024;
const FLOWING = 256 * 1024;
const PROMPT_MS = 1000;

let origin: Fixture;
const fixtures: Fixture[] = [];
let relays: Relay[] = [];
let chain: Chain;

beforeAll(async () => {
  const auth = { username: USER, password: SECRET };
  const creds = { user: USER, pass: SECRET };
  const [httpProxy, socks] = await Promise.all([
    startHttpProxy({ auth }),
    startSocksServer({ versions: [5], auth }),
  ]);
  origin = await startHttpOrigin();
  fixtures.push(httpProxy, socks, origin);
  relays = [await startRelay(httpProxy.port), await startRelay(socks.port)];
  chain = new Chain(
    relays.map((relay, i) =>
      hopUrl(i === 0 ? 'http' : 'socks5', { host: '127.0.0.1', port: relay.port }, creds),
    ),
    { timeoutMs: 3000, hopTimeoutMs: 1500 },
  );
});

afterAll(async () => {
  await chain.close();
  await Promise.all(relays.map((r) => r.close()));
  await Promise.all(fixtures.map((f) => f.close()));
});

const url = () => `http://127.0.0.1:${origin.port}/bytes/${BODY}`;

interface Ending {
  /** How the download ended: an error, or a normal end (of a complete or a short body). */
  how: 'error' | 'end';
  received: number;
  /** From the kill to the end. */
  afterKillMs: number;
}

/** Starts a download, kills `hop` once the body flows, and reports how the download ended. */
async function killDuring(
  hop: number,
  reset: boolean,
  download: (onBytes: (n: number) => void) => Promise<void>,
): Promise<Ending> {
  let received = 0;
  let killedAt = 0;
  let killing: Promise<void> | undefined;
  const ended = await download((n) => {
    received += n;
    if (received >= FLOWING && !killing) {
      killedAt = performance.now();
      killing = (relays[hop] as Relay).kill(reset);
    }
  }).then(
    () => 'end' as const,
    () => 'error' as const,
  );
  const afterKillMs = performance.now() - killedAt;
  await killing;
  await (relays[hop] as Relay).restart();
  return { how: ended, received, afterKillMs };
}

const cases = [0, 1].flatMap((hop) =>
  [false, true].map((reset) => ({ hop, reset, hopName: `hop ${hop + 1}`, how: reset ? 'reset' : 'closed' })),
);

describe('a hop dying mid-download', () => {
  it.each(cases)(
    '$hopName $how: the agent response errors promptly, never ends short',
    async ({ hop, reset }) => {
      const agent = chain.agent({ keepAlive: true });
      const ending = await killDuring(
        hop,
        reset,
        (onBytes) =>
          new Promise<void>((resolve, reject) => {
            http
              .get(url(), { agent }, (res) => {
                res.on('data', (chunk: Buffer) => onBytes(chunk.length));
                res.on('end', resolve);
                res.on('error', reject);
                res.on('aborted', () => reject(new Error('aborted')));
              })
              .on('error', reject);
          }),
      );
      agent.destroy();
      expect(ending.received).toBeLessThan(BODY);
      expect(ending).toMatchObject({ how: 'error' });
      expect(ending.afterKillMs).toBeLessThan(PROMPT_MS);
    },
  );

  it.each(cases)(
    '$hopName $how: the dispatcher body rejects promptly, never ends short',
    async ({ hop, reset }) => {
      const dispatcher = chain.dispatcher();
      const ending = await killDuring(hop, reset, async (onBytes) => {
        const response = await fetch(url(), { dispatcher } as unknown as RequestInit);
        const reader = (response.body as ReadableStream<Uint8Array>).getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          onBytes(value.length);
        }
      });
      await dispatcher.destroy();
      expect(ending.received).toBeLessThan(BODY);
      expect(ending).toMatchObject({ how: 'error' });
      expect(ending.afterKillMs).toBeLessThan(PROMPT_MS);
    },
  );

  it.each(cases)('$hopName $how: a raw tunnel from chain.connect ends promptly', async ({ hop, reset }) => {
    let socket: net.Socket | undefined;
    const ending = await killDuring(hop, reset, async (onBytes) => {
      socket = await chain.connect({ host: '127.0.0.1', port: origin.port });
      const tunnel = socket;
      tunnel.write(`GET /bytes/${BODY} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      await new Promise<void>((resolve, reject) => {
        tunnel.on('data', (chunk: Buffer) => onBytes(chunk.length));
        tunnel.on('error', reject);
        // A raw socket has no framing to check: what the library owes is that it ends.
        tunnel.on('close', () => resolve());
      });
    });
    expect(ending.received).toBeLessThan(BODY);
    expect(socket?.destroyed).toBe(true);
    expect(ending.afterKillMs).toBeLessThan(PROMPT_MS);
  });
});
