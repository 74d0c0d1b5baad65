/**
 * One tunnel attempt through a fixed list of hops: TCP to the first hop, then for each hop
 * TLS (https) and its handshake over whatever the previous step produced. The Attempt owns
 * every socket it opens, the per-hop and overall timers and the caller's AbortSignal; on
 * any failure it destroys every socket and reports one ChainError.
 */
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { ChainError } from '../errors.js';
import type { Hop, HopTlsOptions } from '../hop.js';
import { releaseStream } from '../io/read-until.js';
import type { ChainAuth } from '../protocols/auth/memory.js';
import type { HopContext } from '../protocols/context.js';
import { h2Tunnel } from '../protocols/h2-connect.js';
import type { H2Sessions } from '../protocols/h2-sessions.js';
import { handshake, requests } from '../protocols/index.js';
import { dialTcp } from '../protocols/tcp.js';
import { wrapTls } from '../protocols/tls.js';
import { formatTarget, type Target } from '../target.js';
import { Attempt, hopNumber } from './attempt.js';
import { type PipelineMemory, type PipelineMode, runLength, wantsPipelining } from './pipeline.js';
import { dialAuto } from './pipeline-auto.js';

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
  /** The chain's proxy-auth memory and hook. */
  auth?: ChainAuth | undefined;
  /** What the chain learnt about its hops under `'auto'` (kept per chain). */
  pipelineMemory?: PipelineMemory | undefined;
  /** HTTP/2 connections to https:// hops at position 1 with `http2` (kept per chain). */
  h2Sessions?: H2Sessions | undefined;
  /** Told when a pipelined run is written and when its last reply is in (pipeline-auto.ts). */
  watch?: RunWatch | undefined;
  /**
   * Where each of `hops` sits in the list the user wrote (0-based), for the hop numbers in
   * messages when a mode dialed only some hops. Errors' `hopIndex` stays an index into `hops`.
   */
  positions?: readonly number[] | undefined;
}

export interface RunWatch {
  /** `stepMs`: how long the step before the run took (about one round trip to its first hop). */
  written(run: readonly Hop[], stepMs: number): void;
  answered(run: readonly Hop[]): void;
}

/**
 * One tunnel. With `pipeline: 'auto'`, a pipelined attempt that stalls or fails the way
 * dropped early bytes make it fail gets a sequential one beside it (pipeline-auto.ts).
 */
export async function dial(options: DialOptions): Promise<Duplex> {
  const mode = options.pipeline ?? false;
  const memory = options.pipelineMemory;
  if (mode !== 'auto' || !memory || !wantsPipelining(options.hops, mode, memory))
    return dialOnce(options, mode);
  return dialAuto(options, memory, dialOnce);
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
      auth: options.auth,
    };
  };
  // How long the last step took: about one round trip to the hop a pipelined run starts at.
  let stepMs = 0;
  // Timed only when 'auto' watches a run (its stall wait is counted in round trips of the
  // step before it); otherwise the attempt's own step, without an extra promise per step.
  const timed = async <T>(index: number, phase: TraceEntry['phase'], run: () => Promise<T>): Promise<T> => {
    const began = performance.now();
    const result = await attempt.step(index, phase, run);
    stepMs = performance.now() - began;
    return result;
  };
  const step: typeof timed = options.watch ? timed : (index, phase, run) => attempt.step(index, phase, run);
  try {
    // Hop 1 over HTTP/2: a CONNECT stream on a shared connection (h2-connect.ts), or a new
    // TLS connection on which the proxy picked HTTP/1.1 (then only its CONNECT is left to do).
    // Not when the chain stops at hop 1 itself (absolute-form HTTP is spoken to it over HTTP/1.1).
    const h2 =
      options.h2Sessions?.wants(first) && !(options.stopAtLastHop && hops.length === 1)
        ? await step(0, 'handshake', () =>
            h2Tunnel(options.h2Sessions as H2Sessions, contextFor(0), options.tls),
          )
        : undefined;
    if (h2?.kind === 'http1') attempt.track(h2.socket);
    let socket: Duplex =
      h2?.kind === 'h2'
        ? h2.stream
        : h2?.kind === 'http1'
          ? h2.socket
          : await step(0, 'tcp', () => dialTcp(first, 0, (s) => attempt.track(s), hopNumber(options, 0)));
    for (let index = h2?.kind === 'h2' ? 1 : 0; index < hops.length; index++) {
      const hop = hops[index] as Hop;
      if (index > 0) attempt.startHop(index);
      if (hop.protocol === 'https' && !(index === 0 && h2?.kind === 'http1')) {
        const below = socket;
        socket = await step(index, 'tls', () =>
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
      const run = runLength(hops, index, mode, options.stopAtLastHop === true, options.pipelineMemory);
      if (run === 0) {
        await step(index, 'handshake', () => handshake(over, contextFor(index)));
        continue;
      }
      // Pipelined: every request of hops index..index+run-1 in one write, then the replies in order.
      const contexts = Array.from({ length: run }, (_, k) => contextFor(index + k));
      over.write(Buffer.concat(contexts.map((ctx) => requests(ctx))));
      const pipelined = contexts.map((ctx) => ctx.hop);
      options.watch?.written(pipelined, stepMs);
      for (const ctx of contexts) {
        if (ctx.index > index) attempt.startHop(ctx.index);
        await step(ctx.index, 'handshake', () => handshake(over, ctx, true));
      }
      options.watch?.answered(pipelined);
      index += run - 1;
    }
    attempt.succeed(socket);
    releaseStream(socket);
    return socket;
  } catch (error) {
    throw attempt.fail(error);
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
