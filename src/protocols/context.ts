/**
 * What a hop's handshake needs to know about its place in the chain, and the one place
 * that decides whom a failure is blamed on: a hop that cannot reach its destination blames
 * the next hop when there is one (the operator's question is "which link is broken?"),
 * and the target when it is the last hop.
 */
import type { Duplex } from 'node:stream';
import { ChainError, type ChainErrorCode, type FailureReason, type Phase, type Stage } from '../errors.js';
import type { Hop } from '../hop.js';
import { StreamEndedError } from '../io/read-until.js';
import { formatTarget, type Target } from '../target.js';
import type { ChainAuth } from './auth/memory.js';

export interface HopContext {
  /**
   * The position in `chain.hops` (0-based) of the hop doing this handshake: errors' `hopIndex`
   * and the hop numbers in messages (1-based) come from it, right when they are built.
   */
  index: number;
  /** The position in `chain.hops` of `next`; default `index + 1` (every hop dialed). */
  nextIndex?: number | undefined;
  hop: Hop;
  /** Where this hop is asked to connect: the next hop's address, or the target. */
  dest: Target;
  /** The next hop, when `dest` is one. */
  next: Hop | undefined;
  /** Milliseconds this hop has left; handed to libraries with timers of their own. */
  remainingMs(): number;
  /**
   * Tells the attempt where this handshake stands, for error attribution on timeout:
   * `awaitingDest` is true once the hop was asked to connect onward and we wait for its word.
   */
  progress(read: () => HopProgress): void;
  track(socket: Duplex): void;
  /** The chain's auth memory and hook (HTTP hops); absent outside a Chain. */
  auth?: ChainAuth | undefined;
}

export interface HopProgress {
  phase: Phase;
  awaitingDest: boolean;
  /** Where the exchange stands, and whether the hop's answer to it has begun (see ChainError). */
  stage?: Stage | undefined;
  replyStarted?: boolean | undefined;
}

export interface Blamed {
  reply?: string | undefined;
  cause?: unknown;
  stage?: Stage | undefined;
  replyStarted?: boolean | undefined;
  reason?: FailureReason | undefined;
  closedOnChallenge?: boolean | undefined;
}

/**
 * Where one hop's handshake stands: the stage of the exchange and whether the hop's answer
 * to it has begun. Reported to the attempt (a timeout names the stage) and put on every
 * error the handshake builds, so that nobody reads it back out of a message.
 */
export class Exchange {
  stage: Stage;
  replyStarted = false;
  awaitingDest = false;
  phase: Phase = 'handshake';

  constructor(
    readonly ctx: HopContext,
    stage: Stage,
  ) {
    this.stage = stage;
    ctx.progress(() => ({
      phase: this.phase,
      awaitingDest: this.awaitingDest,
      stage: this.stage,
      replyStarted: this.replyStarted,
    }));
  }

  enter(stage: Stage, phase: Phase = this.phase): void {
    this.stage = stage;
    this.phase = phase;
    this.replyStarted = false;
  }

  error(code: ChainErrorCode, phase: Phase, message: string, extra: Blamed = {}): ChainError {
    return hopError(this.ctx, code, phase, message, {
      stage: this.stage,
      replyStarted: this.replyStarted,
      ...extra,
    });
  }
}

/** How a read failed: the peer closed (FIN), reset (RST), or something else. */
export function readFailure(error: unknown): FailureReason | undefined {
  if (error instanceof StreamEndedError) return 'closed';
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE' ? 'reset' : undefined;
}

export function hopLabel(ctx: { index: number; hop: Hop }): string {
  return `hop ${ctx.index + 1} (${ctx.hop.url})`;
}

export function hopError(
  ctx: HopContext,
  code: ChainErrorCode,
  phase: Phase,
  message: string,
  extra: Blamed = {},
): ChainError {
  return new ChainError({
    code,
    phase,
    message: `${hopLabel(ctx)}: ${message}`,
    hopIndex: ctx.index,
    hop: ctx.hop.url,
    target: formatTarget(ctx.dest),
    ...extra,
  });
}

/**
 * How a hop says its destination failed: `refused` (a reset: nothing listens, or a firewall
 * resets), `unreachable` (host or network unreachable, an ICMP rejection), `timeout`
 * (silence), `failed` (a failure that says no more), `dns`.
 */
export type ReachFailure = 'refused' | 'unreachable' | 'timeout' | 'failed' | 'dns';

/** The hop answered that it could not reach its destination. */
export function reachError(
  ctx: HopContext,
  failure: ReachFailure,
  reply: string,
  detail: string,
  /** False when the hop's "answer" was a close without a byte (ssh -D). */
  replyStarted = true,
): ChainError {
  const dest = formatTarget(ctx.dest);
  const reason = failure === 'dns' ? undefined : failure;
  if (ctx.next) {
    const nextIndex = ctx.nextIndex ?? ctx.index + 1;
    const why =
      failure === 'timeout'
        ? 'the port is probably filtered by a firewall between them'
        : failure === 'dns'
          ? 'its name does not resolve from there'
          : 'nothing listens there, or a firewall between them rejects it';
    return new ChainError({
      code: failure === 'timeout' ? 'HOP_TIMEOUT' : failure === 'dns' ? 'DNS_FAILED' : 'HOP_UNREACHABLE',
      phase: 'tcp',
      message: `${hopLabel(ctx)} cannot reach hop ${nextIndex + 1} (${ctx.next.url}): ${detail}; ${why}`,
      hopIndex: nextIndex,
      hop: ctx.next.url,
      target: dest,
      reply,
      // The next hop itself said nothing: the report is the previous hop's.
      stage: 'tcp',
      replyStarted: false,
      reason,
    });
  }
  return new ChainError({
    code: failure === 'dns' ? 'DNS_FAILED' : 'TARGET_UNREACHABLE',
    phase: 'handshake',
    message: `${hopLabel(ctx)} cannot reach the target ${dest}: ${detail}`,
    hopIndex: ctx.index,
    hop: ctx.hop.url,
    target: dest,
    reply,
    stage: 'reply',
    replyStarted,
    reason,
  });
}
