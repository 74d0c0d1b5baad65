/**
 * DialPass: the bookkeeping of one pass through a fixed list of hops (dial.ts): sockets to
 * destroy, timers, the caller's signal, and where the pass stands (hop, phase) so that a
 * timeout or abort names the right hop, by its position in `chain.hops`.
 *
 * Words: a *pass* is one walk through the hops, here. An *attempt* (chain/failover.ts) is
 * one dial() through the hops the selector picked; under `pipeline: 'auto'` it may run two
 * passes side by side (pipeline-auto.ts). A *try* (chain/retry.ts) is one run of failover.
 */
import type { Duplex } from 'node:stream';
import { ChainError, type Phase } from '../errors.js';
import type { HopProgress } from '../protocols/context.js';
import { formatTarget } from '../target.js';
import { type DialOptions, positionOf, type TraceEntry } from './types.js';

/** The 1-based number messages give dialed hop `index`: its place in the user's list. */
export function hopNumber(options: Pick<DialOptions, 'positions'>, index: number): number {
  return positionOf(options, index) + 1;
}

export class DialPass {
  private readonly sockets: Duplex[] = [];
  private readonly options: DialOptions;
  private readonly started = performance.now();
  private hopStarted = performance.now();
  /** The hop the pass is at, as an index into `options.hops` (errors get its position). */
  private hopIndex = 0;
  private phase: Phase = 'tcp';
  private progress: (() => HopProgress) | undefined;
  private failure: ChainError | undefined;
  private readonly waiters = new Set<(error: ChainError) => void>();
  private hopTimer: NodeJS.Timeout | undefined;
  private readonly overallTimer: NodeJS.Timeout;
  private readonly onAbort = () => this.abort();
  private readonly guard = () => {};

  constructor(options: DialOptions) {
    this.options = options;
    this.overallTimer = setTimeout(() => this.timeout('overall'), options.timeoutMs);
    this.hopTimer = setTimeout(() => this.timeout('hop'), options.hopTimeoutMs);
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
    if (options.signal?.aborted) this.abort();
  }

  track(socket: Duplex): void {
    this.sockets.push(socket);
    // An 'error' with no listener would crash the process; the step that owns the socket
    // reports the failure itself.
    socket.on('error', this.guard);
    if (this.failure) socket.destroy();
  }

  startHop(index: number): void {
    this.hopIndex = index;
    this.hopStarted = performance.now();
    clearTimeout(this.hopTimer);
    this.hopTimer = setTimeout(() => this.timeout('hop'), this.options.hopTimeoutMs);
  }

  remainingMs(): number {
    const now = performance.now();
    const hop = this.options.hopTimeoutMs - (now - this.hopStarted);
    const overall = this.options.timeoutMs - (now - this.started);
    return Math.max(0, Math.min(hop, overall));
  }

  setProgress(read: () => HopProgress): void {
    this.progress = read;
  }

  /** Runs one step; rejects at once when the pass fails (timeout, abort) meanwhile. */
  async step<T>(index: number, phase: Phase, run: () => Promise<T>): Promise<T> {
    if (this.failure) throw this.failure;
    this.hopIndex = index;
    this.phase = phase;
    this.progress = undefined;
    const began = performance.now();
    const result = await new Promise<T>((resolve, reject) => {
      this.waiters.add(reject);
      run().then(
        (value) => {
          this.waiters.delete(reject);
          if (this.failure) reject(this.failure);
          else resolve(value);
        },
        (error: unknown) => {
          this.waiters.delete(reject);
          reject(this.failure ?? error);
        },
      );
    });
    this.options.trace?.push({
      hopIndex: positionOf(this.options, index),
      phase: phase as TraceEntry['phase'],
      ms: performance.now() - began,
    });
    return result;
  }

  succeed(top: Duplex): void {
    this.cleanup();
    const layers = this.sockets.filter((s) => s !== top);
    top.off('error', this.guard);
    // Lower layers (the TCP socket under TLS, TLS under TLS) live and die with the top one;
    // their errors surface on it.
    for (const layer of layers) {
      layer.off('error', this.guard);
      layer.on('error', (error) => top.destroy(error));
    }
    top.once('close', () => {
      for (const layer of layers) layer.destroy();
    });
  }

  /** Turns whatever was thrown into the pass's ChainError and destroys every socket. */
  fail(error: unknown): ChainError {
    if (!this.failure) {
      this.failure =
        error instanceof ChainError
          ? error
          : new ChainError({
              code: 'PROTOCOL_ERROR',
              phase: this.phase,
              hopIndex: positionOf(this.options, this.hopIndex),
              hop: this.options.hops[this.hopIndex]?.url,
              message: `unexpected failure at hop ${hopNumber(this.options, this.hopIndex)}: ${error instanceof Error ? error.message : String(error)}`,
              cause: error,
            });
      this.teardown();
    }
    return this.failure;
  }

  private timeout(which: 'hop' | 'overall'): void {
    if (this.failure) return;
    const limit = which === 'hop' ? this.options.hopTimeoutMs : this.options.timeoutMs;
    this.raise(this.timeoutError(which, limit));
  }

  private timeoutError(which: 'hop' | 'overall', limit: number): ChainError {
    const { hops, target } = this.options;
    const index = this.hopIndex;
    const hop = hops[index];
    const state = this.progress?.() ?? { phase: this.phase, awaitingDest: false };
    const label = `hop ${hopNumber(this.options, index)} (${hop?.url})`;
    const ms = Math.round(limit);
    const within = which === 'hop' ? `the per-hop limit of ${ms} ms` : `the overall limit of ${ms} ms`;
    if (state.awaitingDest && this.phase === 'handshake') {
      const next = hops[index + 1];
      if (next) {
        return new ChainError({
          code: 'HOP_TIMEOUT',
          phase: 'tcp',
          hopIndex: positionOf(this.options, index + 1),
          hop: next.url,
          target: formatTarget(next),
          stage: 'tcp',
          replyStarted: false,
          reason: 'silent',
          message: `timed out reaching hop ${hopNumber(this.options, index + 1)} (${next.url}) through ${label} within ${within}: the port of hop ${hopNumber(this.options, index + 1)} is probably filtered by a firewall between them (or ${label} is stalled)`,
        });
      }
      return new ChainError({
        code: 'HOP_TIMEOUT',
        phase: 'handshake',
        hopIndex: positionOf(this.options, index),
        hop: hop?.url,
        target: formatTarget(target),
        stage: state.stage ?? 'request',
        replyStarted: false,
        reason: 'silent',
        message: `${label} did not report a connection to the target ${formatTarget(target)} within ${within}: the target's port is probably filtered (or the proxy is stalled)`,
      });
    }
    const stage = state.stage ?? (state.phase === 'tcp' || state.phase === 'tls' ? state.phase : 'request');
    const replyStarted = state.replyStarted ?? false;
    const hint =
      stage === 'tcp'
        ? ': the port is probably filtered by a firewall (silently dropped)'
        : replyStarted
          ? ': the proxy began to answer, then stopped'
          : `: the connection is up but the ${stage === 'tls' ? 'TLS hello' : `${stage} message`} got no answer`;
    return new ChainError({
      code: 'HOP_TIMEOUT',
      phase: state.phase,
      hopIndex: positionOf(this.options, index),
      hop: hop?.url,
      stage,
      replyStarted,
      reason: 'silent',
      message: `timed out at ${label} during ${stage === 'tcp' || stage === 'tls' ? stage : `the ${stage}`} within ${within}${hint}`,
    });
  }

  private abort(): void {
    if (this.failure) return;
    const reason: unknown = this.options.signal?.reason;
    const hop = this.options.hops[this.hopIndex];
    this.raise(
      new ChainError({
        code: 'ABORTED',
        phase: this.phase,
        hopIndex: positionOf(this.options, this.hopIndex),
        hop: hop?.url,
        message: `aborted at hop ${hopNumber(this.options, this.hopIndex)} (${hop?.url}) during ${this.phase}`,
        cause: reason instanceof Error ? reason : undefined,
      }),
    );
  }

  private raise(error: ChainError): void {
    this.failure = error;
    this.teardown();
    for (const reject of this.waiters) reject(error);
    this.waiters.clear();
  }

  private teardown(): void {
    this.cleanup();
    for (const socket of this.sockets) socket.destroy();
  }

  private cleanup(): void {
    clearTimeout(this.hopTimer);
    clearTimeout(this.overallTimer);
    this.options.signal?.removeEventListener('abort', this.onAbort);
  }
}
