/**
 * What a hop's handshake needs to know about its place in the chain, and the one place
 * that decides whom a failure is blamed on: a hop that cannot reach its destination blames
 * the next hop when there is one (the operator's question is "which link is broken?"),
 * and the target when it is the last hop.
 */
import type { Duplex } from 'node:stream';
import { ChainError, type ChainErrorCode, type Phase } from '../errors.js';
import { formatTarget, type Target } from '../target.js';
import type { Hop } from '../url.js';
import type { ChainAuth } from './auth/memory.js';

export interface HopContext {
  /** 0-based position of the hop doing this handshake. */
  index: number;
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
}

export function hopLabel(ctx: { index: number; hop: Hop }): string {
  return `hop ${ctx.index + 1} (${ctx.hop.url})`;
}

export function hopError(
  ctx: HopContext,
  code: ChainErrorCode,
  phase: Phase,
  message: string,
  extra: { reply?: string; cause?: unknown } = {},
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

export type ReachFailure = 'refused' | 'unreachable' | 'timeout' | 'dns';

/** The hop answered that it could not reach its destination. */
export function reachError(
  ctx: HopContext,
  failure: ReachFailure,
  reply: string,
  detail: string,
): ChainError {
  const dest = formatTarget(ctx.dest);
  if (ctx.next) {
    const nextIndex = ctx.index + 1;
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
  });
}
