/**
 * One tunnel attempt through a fixed list of hops: TCP to the first hop, then for each hop
 * TLS (https) and its handshake over whatever the previous step produced. The Attempt owns
 * every socket it opens, the per-hop and overall timers and the caller's AbortSignal; on
 * any failure it destroys every socket and reports one ChainError.
 */
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { Attempt, hopNumber } from './attempt.js';
import { ChainError } from './errors.js';
import { releaseStream } from './io/read-until.js';
import { type PipelineMode, rememberRefusal, runLength, wantsPipelining } from './pipeline.js';
import type { HopContext } from './protocols/context.js';
import { handshake, requests } from './protocols/index.js';
import { dialTcp } from './protocols/tcp.js';
import { wrapTls } from './protocols/tls.js';
import { formatTarget, type Target } from './target.js';
import type { Hop, HopTlsOptions } from './url.js';

export interface TraceEntry {
  hopIndex: number;
  phase: 'tcp' | 'tls' | 'handshake';
  ms: number;
}

export interface DialOptions {
  hops: readonly Hop[];
  target: Target;
  signal?: AbortSignal | undefined;
  /** Overall deadline for the whole chain. */
  timeoutMs: number;
  /** Limit for each hop: reaching it, TLS, and its handshake. */
  hopTimeoutMs: number;
  tls: HopTlsOptions;
  /** Filled with per-hop timings as the attempt goes (probe reads it). */
  trace?: TraceEntry[] | undefined;
  /**
   * Stop once the last hop is reached (TCP, and TLS for https), before its handshake: for
   * speaking HTTP to the last hop itself (absolute-form requests). `target` is then unused.
   */
  stopAtLastHop?: boolean | undefined;
  /** Write the handshakes of consecutive hops without waiting for replies (see pipeline.ts). */
  pipeline?: PipelineMode | undefined;
  /**
   * Where each of `hops` sits in the list the user wrote (0-based), for the hop numbers in
   * messages when a mode dialed only some hops. Errors' `hopIndex` stays an index into `hops`.
   */
  positions?: readonly number[] | undefined;
}

/**
 * One tunnel. With `pipeline: 'auto'`, an attempt that fails inside a pipelined run in a way
 * early bytes can cause is tried once more sequentially; if that works, the hops of that run
 * are remembered as refusing pipelined bytes.
 */
export async function dial(options: DialOptions): Promise<Duplex> {
  const mode = options.pipeline ?? false;
  if (mode !== 'auto' || !wantsPipelining(options.hops, mode)) return dialOnce(options, mode);
  const started = performance.now();
  const trace: TraceEntry[] = [];
  try {
    const socket = await dialOnce({ ...options, trace }, mode);
    options.trace?.push(...trace);
    return socket;
  } catch (error) {
    const run = error instanceof ChainError ? failedRuns.get(error) : undefined;
    const left = options.timeoutMs - (performance.now() - started);
    if (
      !run ||
      !earlyBytesMayCause(error as ChainError, options.hops) ||
      left <= 0 ||
      options.signal?.aborted
    )
      throw error;
    const socket = await dialOnce({ ...options, timeoutMs: left }, false);
    rememberRefusal(run);
    return socket;
  }
}

/** The hops of the pipelined run an attempt failed in. */
const failedRuns = new WeakMap<ChainError, readonly Hop[]>();

/**
 * What a proxy that mishandles early bytes produces: a stall, a closed connection or bytes
 * out of place (PROTOCOL_ERROR), or a 407 challenge it could not get answered in a pipelined
 * write. A well-formed refusal (denied, unreachable, a SOCKS auth failure) stands as it is.
 */
function earlyBytesMayCause(error: ChainError, hops: readonly Hop[]): boolean {
  if (error.code === 'HOP_TIMEOUT' || error.code === 'PROTOCOL_ERROR') return true;
  const protocol = hops[error.hopIndex]?.protocol;
  return (
    (error.code === 'AUTH_FAILED' || error.code === 'AUTH_REQUIRED') &&
    (protocol === 'http' || protocol === 'https') &&
    error.replyStarted
  );
}

async function dialOnce(options: DialOptions, mode: PipelineMode): Promise<Duplex> {
  const { hops, target } = options;
  const first = hops[0];
  if (!first)
    throw new ChainError({
      code: 'INVALID_CONFIG',
      message: 'a chain needs at least one hop',
      phase: 'config',
    });
  checkNames(hops, target, (index) => hopNumber(options, index));
  const attempt = new Attempt(options);
  const contextFor = (index: number): HopContext => {
    const next = hops[index + 1];
    return {
      index,
      label: (i) => hopNumber(options, i),
      hop: hops[index] as Hop,
      dest: next ? { host: next.host, port: next.port } : target,
      next,
      remainingMs: () => attempt.remainingMs(),
      progress: (read) => attempt.setProgress(read),
      track: (s) => attempt.track(s),
    };
  };
  let pipelined: readonly Hop[] | undefined;
  try {
    let socket: Duplex = await attempt.step(0, 'tcp', () =>
      dialTcp(first, 0, (s) => attempt.track(s), hopNumber(options, 0)),
    );
    for (let index = 0; index < hops.length; index++) {
      const hop = hops[index] as Hop;
      if (index > 0) attempt.startHop(index);
      if (hop.protocol === 'https') {
        const below = socket;
        socket = await attempt.step(index, 'tls', () =>
          wrapTls(
            below,
            hop,
            index,
            options.tls,
            (s) => attempt.track(s),
            (read) => attempt.setProgress(read),
            hopNumber(options, index),
          ),
        );
      }
      const next = hops[index + 1];
      if (!next && options.stopAtLastHop) break;
      const over = socket;
      const run = runLength(hops, index, mode, options.stopAtLastHop === true);
      if (run === 0) {
        await attempt.step(index, 'handshake', () => handshake(over, contextFor(index)));
        continue;
      }
      // Pipelined: every request of hops index..index+run-1 in one write, then the replies in order.
      const contexts = Array.from({ length: run }, (_, k) => contextFor(index + k));
      over.write(Buffer.concat(contexts.map((ctx) => requests(ctx))));
      pipelined = contexts.map((ctx) => ctx.hop);
      for (const ctx of contexts) {
        if (ctx.index > index) attempt.startHop(ctx.index);
        await attempt.step(ctx.index, 'handshake', () => handshake(over, ctx, true));
      }
      pipelined = undefined;
      index += run - 1;
    }
    attempt.succeed(socket);
    releaseStream(socket);
    return socket;
  } catch (error) {
    const failure = attempt.fail(error);
    if (pipelined) failedRuns.set(failure, pipelined);
    throw failure;
  }
}

/** A plain socks4:// hop can only be asked for an IP address. */
function checkNames(hops: readonly Hop[], target: Target, label: (index: number) => number): void {
  hops.forEach((hop, index) => {
    if (hop.protocol !== 'socks4') return;
    const next = hops[index + 1];
    const dest = next ? { host: next.host, port: next.port } : target;
    if (isIP(dest.host)) return;
    const what = next ? `hop ${label(index + 1)} (${next.url})` : `the target ${formatTarget(dest)}`;
    throw new ChainError({
      code: 'INVALID_CONFIG',
      phase: 'config',
      hopIndex: index,
      hop: hop.url,
      target: formatTarget(dest),
      message: `hop ${label(index)} (${hop.url}) is plain SOCKS4, which cannot carry the host name of ${what}: use socks4a:// (the proxy resolves it) or dns: 'local' (resolve it here)`,
    });
  });
}
