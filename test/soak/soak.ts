/**
 * The soak (issue #8): requests with keep-alive through a 2-hop chain of in-process proxies
 * (CONNECT, then SOCKS5), half from chain.agent() and half from chain.dispatcher(), 64 in
 * flight, while the hops are killed and restarted at random. It counts how each request
 * ended and measures sockets and heap before and after; the tests decide what must hold.
 */
import diagnostics from 'node:diagnostics_channel';
import http from 'node:http';
import type net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Chain, ChainError } from '../../src/index.js';
import {
  type Fixture,
  patternBytes,
  startHttpOrigin,
  startHttpProxy,
  startSocksServer,
} from '../fixtures/index.js';
import { hopUrl, SECRET, USER } from '../helpers.js';
import { type Relay, startRelay } from './relay.js';

export interface SoakOptions {
  requests: number;
  concurrency?: number;
  seed?: number;
  /** A request still unsettled after this is a hang. */
  requestDeadlineMs?: number;
}

export type Outcome = 'ok' | 'chain-error' | 'stream-error' | 'truncated' | 'corrupt' | 'hang' | 'other';

export interface SoakReport {
  seed: number;
  outcomes: Record<Outcome, number>;
  /** A few of the unexpected errors, for the failure message. */
  unexpected: string[];
  kills: number;
  /** Connections the kills cut (tunnels in use or pooled). */
  cut: number;
  durationMs: number;
  slowestMs: number;
  handles: { before: Record<string, number>; after: Record<string, number> };
  heap: { baseline: number; after: number };
  /** Client sockets opened during the run, and how many are still in memory after it and a GC. */
  sockets: { opened: number; alive: number };
  /** The requests after the faults stopped, on the same agent and dispatcher. */
  recovery: Pick<SoakReport, 'outcomes' | 'unexpected' | 'slowestMs'>;
}

const NO_OUTCOMES: Record<Outcome, number> = {
  ok: 0,
  'chain-error': 0,
  'stream-error': 0,
  truncated: 0,
  corrupt: 0,
  hang: 0,
  other: 0,
};
/** Requests after the faults stop. */
export const RECOVERY = 128;
/** Requests (with faults) before the heap baseline is taken: a quarter of the run, 250 at least. */
const warmUp = (requests: number) => Math.max(250, Math.floor(requests / 4));

const SIZES = [0, 1024, 16 * 1024, 256 * 1024];
/** Handles that would keep the process alive: sockets, servers, timers. */
const HANDLES = ['TCPSocketWrap', 'TCPServerWrap', 'TLSWrap', 'PipeWrap', 'Timeout', 'Immediate'];

/** mulberry32: a small seeded generator, so a failing run can be replayed with its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const gc = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();

/**
 * The heap in use after full collections, less the space of compiled code: V8 keeps optimising
 * (and deoptimising) functions long into a run, which is not memory the library holds.
 */
async function settledHeap(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc();
    await sleep(20);
  }
  return v8
    .getHeapSpaceStatistics()
    .filter((space) => !space.space_name.startsWith('code_'))
    .reduce((sum, space) => sum + space.space_used_size, 0);
}

function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of process.getActiveResourcesInfo()) {
    if (HANDLES.includes(name)) counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

/** The errors a request may end with when its tunnel dies after it was set up. */
function isStreamError(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e = error; e instanceof Error && !seen.has(e); e = e.cause) {
    seen.add(e);
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNABORTED'].includes(code))
      return true;
    if (/^(aborted|terminated|socket hang up|other side closed)$/i.test(e.message)) return true;
  }
  return false;
}

function isChainFailure(error: unknown): boolean {
  return error instanceof ChainError || (error instanceof Error && error.cause instanceof ChainError);
}

interface Setup {
  chain: Chain;
  relays: Relay[];
  origin: Fixture;
  /** The fixtures' logs grow with every request: emptied before each heap measurement. */
  forgetLogs(): void;
  close(): Promise<void>;
}

async function setup(): Promise<Setup> {
  const auth = { username: USER, password: SECRET };
  const creds = { user: USER, pass: SECRET };
  const [httpProxy, socks, origin] = await Promise.all([
    startHttpProxy({ auth }),
    startSocksServer({ versions: [5], auth }),
    startHttpOrigin(),
  ]);
  const relays = [await startRelay(httpProxy.port), await startRelay(socks.port)];
  const chain = new Chain(
    [
      hopUrl('http', { host: '127.0.0.1', port: relays[0]?.port as number }, creds),
      hopUrl('socks5', { host: '127.0.0.1', port: relays[1]?.port as number }, creds),
    ],
    { timeoutMs: 3000, hopTimeoutMs: 1500 },
  );
  return {
    chain,
    relays,
    origin,
    forgetLogs: () => {
      for (const fixture of [httpProxy, socks, origin]) fixture.log.length = 0;
    },
    close: async () => {
      await chain.close();
      await Promise.all(relays.map((r) => r.close()));
      await Promise.all([httpProxy, socks, origin].map((f) => f.close()));
    },
  };
}

function viaAgent(agent: http.Agent, url: string, deadline: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, signal: deadline }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', reject);
      // A body cut short ends in 'aborted' (and 'error'), never in 'end'.
      res.on('aborted', () => reject(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })));
    });
    req.on('error', reject);
  });
}

async function viaDispatcher(dispatcher: unknown, url: string, deadline: AbortSignal): Promise<Buffer> {
  const response = await fetch(url, { dispatcher, signal: deadline } as unknown as RequestInit);
  return Buffer.from(await response.arrayBuffer());
}

interface Clients {
  agent: http.Agent;
  dispatcher: { close(): Promise<void> };
}

function clients(env: Setup, concurrency: number): Clients {
  return {
    agent: env.chain.agent({ keepAlive: true, maxSockets: concurrency }),
    dispatcher: env.chain.dispatcher({ connections: concurrency }),
  };
}

/**
 * `count` requests, `concurrency` at a time, half through the agent and half through the
 * dispatcher, each checked against the bytes it should carry. `onSettled` hears each one end.
 */
async function load(
  env: Setup,
  { agent, dispatcher }: Clients,
  count: number,
  concurrency: number,
  rand: () => number,
  deadlineMs: number,
  report: Pick<SoakReport, 'outcomes' | 'unexpected' | 'slowestMs'>,
  onSettled: () => Promise<void> = async () => {},
): Promise<void> {
  const expected = new Map(SIZES.map((n) => [n, patternBytes(n)]));
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const size = SIZES[Math.floor(rand() * SIZES.length)] as number;
      const url = `http://127.0.0.1:${env.origin.port}/bytes/${size}`;
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(new Error('deadline')), deadlineMs);
      const began = performance.now();
      let outcome: Outcome;
      try {
        const body = await (i % 2 === 0
          ? viaAgent(agent, url, deadline.signal)
          : viaDispatcher(dispatcher, url, deadline.signal));
        outcome =
          body.length < size ? 'truncated' : body.equals(expected.get(size) as Buffer) ? 'ok' : 'corrupt';
      } catch (error) {
        if (deadline.signal.aborted) outcome = 'hang';
        else if (isChainFailure(error)) outcome = 'chain-error';
        else if (isStreamError(error)) outcome = 'stream-error';
        else outcome = 'other';
        if (outcome === 'other' && report.unexpected.length < 5) {
          report.unexpected.push(String((error as Error)?.stack ?? error));
        }
      } finally {
        clearTimeout(timer);
      }
      report.slowestMs = Math.max(report.slowestMs, performance.now() - began);
      report.outcomes[outcome]++;
      // A client does not hammer a proxy that just failed it.
      if (outcome !== 'ok') await sleep(5 + rand() * 10);
      await onSettled();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** Kills a random hop every `every` settled requests or so, and brings it back after a short while. */
function killer(env: Setup, requests: number, rand: () => number, report: { kills: number }) {
  const every = Math.max(25, Math.min(250, Math.floor(requests / 10)));
  let settled = 0;
  let nextKill = every * (0.5 + rand());
  const pending: Promise<void>[] = [];
  return {
    onSettled: async () => {
      settled++;
      if (settled < nextKill) return;
      nextKill = settled + every * (0.5 + rand());
      const relay = env.relays[Math.floor(rand() * env.relays.length)] as Relay;
      report.kills++;
      const down = rand() < 0.5 ? 0 : rand() * 30;
      pending.push(
        relay.kill(rand() < 0.5).then(async () => {
          await sleep(down);
          await relay.restart();
        }),
      );
    },
    done: () => Promise.all(pending),
  };
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const seed = options.seed ?? Number(process.env.SOAK_SEED ?? 8);
  const concurrency = options.concurrency ?? 64;
  const deadlineMs = options.requestDeadlineMs ?? 15_000;
  const rand = random(seed);
  const before = handles();
  const env = await setup();
  const report: SoakReport = {
    seed,
    outcomes: { ...NO_OUTCOMES },
    unexpected: [],
    kills: 0,
    cut: 0,
    durationMs: 0,
    slowestMs: 0,
    handles: { before, after: {} },
    heap: { baseline: 0, after: 0 },
    recovery: { outcomes: { ...NO_OUTCOMES }, unexpected: [], slowestMs: 0 },
    sockets: { opened: 0, alive: 0 },
  };
  // Every client socket of the run (the chain's, the relays' and the proxies'), watched for
  // collection: one still in memory after everything closed is a leak, whatever the heap says.
  let opened = 0;
  let collected = 0;
  const registry = new FinalizationRegistry<undefined>(() => {
    collected++;
  });
  const onSocket = (message: unknown) => {
    opened++;
    registry.register((message as { socket: net.Socket }).socket, undefined);
  };
  try {
    // A warm-up with the same faults (so the code paths are compiled and optimised, lazy
    // modules loaded, timers' pools grown), then the heap baseline.
    const warm = { ...report, outcomes: { ...report.outcomes }, unexpected: [] as string[], kills: 0 };
    const warmCount = warmUp(options.requests);
    const warmFaults = killer(env, warmCount, rand, warm);
    await load(
      env,
      clients(env, concurrency),
      warmCount,
      concurrency,
      rand,
      deadlineMs,
      warm,
      warmFaults.onSettled,
    );
    await warmFaults.done();
    await Promise.all(env.relays.map((r) => r.restart()));
    await env.chain.close();
    env.forgetLogs();
    report.heap.baseline = await settledHeap();

    diagnostics.subscribe('net.client.socket', onSocket);
    const faults = killer(env, options.requests, rand, report);
    const pools = clients(env, concurrency);
    const started = performance.now();
    try {
      await load(env, pools, options.requests, concurrency, rand, deadlineMs, report, faults.onSettled);
    } finally {
      await faults.done();
      await Promise.all(env.relays.map((r) => r.restart()));
    }
    report.durationMs = performance.now() - started;
    report.cut = env.relays.reduce((sum, r) => sum + r.cut, 0);
    // Afterwards, the same agent and dispatcher work again: no poisoned pool, no stuck hop.
    await load(env, pools, RECOVERY, concurrency, rand, deadlineMs, report.recovery);
    await env.chain.close();
    // Same state as the baseline: fixtures up, their logs empty, pools closed.
    env.forgetLogs();
    report.heap.after = await settledHeap();
  } finally {
    diagnostics.unsubscribe('net.client.socket', onSocket);
    await env.close();
  }
  // Sockets close asynchronously: give them a moment, bounded.
  for (let i = 0; i < 100 && HANDLES.some((h) => (handles()[h] ?? 0) > (before[h] ?? 0)); i++)
    await sleep(20);
  report.handles.after = handles();
  await settledHeap();
  report.sockets = { opened, alive: opened - collected };
  return report;
}
