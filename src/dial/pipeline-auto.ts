/**
 * `pipeline: 'auto'` without the stall. A proxy that drops bytes sent ahead (microsocks reads
 * each handshake message with one recv() and discards the rest) answers the first message and
 * then waits for ever; waiting for the hop timeout before falling back cost 8–10 s.
 *
 * Resending on the same connection is not safe: a proxy that did buffer the bytes and is
 * only slow (its connect onward takes long) would relay the copy into the tunnel. So the
 * pipelined attempt is hedged instead, as happy eyeballs does: when a run that sends bytes
 * ahead through a hop not yet seen taking them has not finished within a few round trips of
 * that hop (STALL_RTTS × the step before it, at least STALL_FLOOR_MS), a sequential attempt
 * starts beside it. The first to succeed is kept and the other is aborted. The run's hops are
 * remembered (per chain) as refusing when the sequential attempt, which needs more round
 * trips than the pipelined one, finishes first; as accepting when the pipelined run
 * finishes. Accepted hops are never watched again, so a slow but buffering proxy costs at
 * most one extra connection per chain.
 *
 * A pipelined attempt that fails outright in a way early bytes can cause (before any hedge)
 * is retried sequentially at once, as before.
 */
import type { Duplex } from 'node:stream';
import { ChainError } from '../errors.js';
import type { Hop } from '../hop.js';
import { type PipelineMemory, type PipelineMode, sendsAhead } from './pipeline.js';
import { type DialOptions, positionOf, type RunWatch, type TraceEntry } from './types.js';

/** Round trips of the hop (the step before the run) a pipelined run may take before the hedge. */
export const STALL_RTTS = 4;
/** The least wait before the hedge: loopback round trips are µs, event-loop lag is not. */
export const STALL_FLOOR_MS = 30;

type DialOnce = (options: DialOptions, mode: PipelineMode) => Promise<Duplex>;

interface Outcome {
  done: boolean;
  error?: unknown;
}

export function dialAuto(options: DialOptions, memory: PipelineMemory, once: DialOnce): Promise<Duplex> {
  const started = performance.now();
  return new Promise<Duplex>((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let running: readonly Hop[] | undefined; // the pipelined run written and not yet answered
    let hedged: readonly Hop[] | undefined;
    const first: Outcome = { done: false };
    const second: Outcome = { done: false };
    // Only a chain with a hop not yet judged can be hedged, and only then is the pipelined
    // attempt abortable from here: a judged chain pays for no controller.
    const unjudged = (hop: Hop) => hop.pipeline === undefined && !memory.accepts(hop) && !memory.refuses(hop);
    const watched = options.hops.some(unjudged);
    const firstAbort = watched ? new AbortController() : undefined;
    let secondAbort: AbortController | undefined; // made when the hedge starts
    const firstTrace: TraceEntry[] = [];
    const secondTrace: TraceEntry[] = [];

    const win = (socket: Duplex, trace: TraceEntry[], loser: AbortController | undefined) => {
      settled = true;
      clearTimeout(timer);
      loser?.abort();
      options.trace?.push(...trace);
      resolve(socket);
    };
    const lose = (error: unknown) => {
      settled = true;
      clearTimeout(timer);
      reject(error);
    };

    const hedge = (run: readonly Hop[]) => {
      clearTimeout(timer);
      if (hedged || settled) return;
      const left = options.timeoutMs - (performance.now() - started);
      if (left <= 0 || options.signal?.aborted) return;
      hedged = run;
      const controller = new AbortController();
      secondAbort = controller;
      const unlink = link(options.signal, controller);
      once({ ...options, timeoutMs: left, trace: secondTrace, signal: controller.signal }, false).then(
        (socket) => {
          unlink();
          second.done = true;
          if (settled) return void socket.destroy();
          // The pipelined attempt, one or more round trips ahead, is still silent (or failed
          // the way dropped bytes make it fail): that run's hops drop early bytes.
          memory.rememberRefusal(run);
          win(socket, secondTrace, firstAbort);
        },
        (error: unknown) => {
          unlink();
          second.done = true;
          second.error = error;
          if (!settled && first.done) lose(error);
        },
      );
    };

    const watch: RunWatch = {
      written(run, stepMs) {
        running = run;
        if (!sendsAhead(run) || !run.some(unjudged)) return;
        const wait = Math.max(STALL_FLOOR_MS, STALL_RTTS * stepMs);
        timer = setTimeout(() => hedge(run), wait);
      },
      answered(run) {
        running = undefined;
        clearTimeout(timer);
        memory.rememberAcceptance(run);
      },
    };

    const unlink = firstAbort ? link(options.signal, firstAbort) : () => {};
    const signal = firstAbort ? firstAbort.signal : options.signal;
    once({ ...options, trace: firstTrace, watch, signal }, 'auto').then(
      (socket) => {
        unlink();
        first.done = true;
        if (settled) return void socket.destroy();
        win(socket, firstTrace, secondAbort);
      },
      (error: unknown) => {
        unlink();
        first.done = true;
        first.error = error;
        if (settled) return;
        if (!hedged && running && error instanceof ChainError && earlyBytesMayCause(error, options))
          hedge(running);
        if (!hedged || second.done) lose(second.error ?? error);
      },
    );
  });
}

/**
 * The caller's signal aborts `child` too; the returned function unlinks it. Not
 * AbortSignal.any: on Node 20 a long-lived caller signal keeps every signal made from it.
 */
function link(parent: AbortSignal | undefined, child: AbortController): () => void {
  if (!parent) return () => {};
  if (parent.aborted) {
    child.abort(parent.reason);
    return () => {};
  }
  const onAbort = () => child.abort(parent.reason);
  parent.addEventListener('abort', onAbort, { once: true });
  return () => parent.removeEventListener('abort', onAbort);
}

/**
 * What a proxy that mishandles early bytes produces: a stall, a closed connection or bytes
 * out of place (PROTOCOL_ERROR), or a 407 challenge it could not get answered in a pipelined
 * write. A well-formed refusal (denied, unreachable, a SOCKS auth failure) stands as it is.
 */
function earlyBytesMayCause(error: ChainError, options: DialOptions): boolean {
  if (error.code === 'HOP_TIMEOUT' || error.code === 'PROTOCOL_ERROR') return true;
  // The error names the hop by its position in chain.hops; find it among the dialed ones.
  const blamed = options.hops.find((_, index) => positionOf(options, index) === error.hopIndex);
  const protocol = blamed?.protocol;
  return (
    (error.code === 'AUTH_FAILED' || error.code === 'AUTH_REQUIRED') &&
    (protocol === 'http' || protocol === 'https') &&
    error.replyStarted
  );
}
