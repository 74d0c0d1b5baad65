/**
 * What `probe` found for one target, as plain data: the JSON output (schema 1, documented
 * in docs/cli.md) and the source of the table. Built from one attempt: the trace of the
 * steps that completed and, on failure, the ChainError's facts. Hop k > 0 is reached
 * through hop k-1's handshake, so its TCP time is inside that handshake and is not
 * reported separately (tcpMs null, reachedThrough k-1).
 */

import { errnoOf } from '../../blame.js';
import type { Cause, Link } from '../../causes.js';
import type { Chain } from '../../chain/chain.js';
import type { TraceEntry } from '../../dial/dial.js';
import {
  asChainError,
  type ChainError,
  type ChainErrorCode,
  type FailureReason,
  type Phase,
  type Stage,
} from '../../errors.js';
import type { HopProtocol } from '../../hop.js';
import type { AfterTunnel } from '../../remedies.js';
import type { PeerCertificate } from '../http-exchange.js';
import { exitCodeFor, type FailureKind, failureKind, hintFor } from '../output/hints.js';
import { EXIT } from '../output/io.js';
import { roundMs } from '../output/table.js';

export type AuthState = 'none' | 'accepted' | 'rejected' | 'required' | 'unknown';

export interface HopReport {
  index: number;
  protocol: HopProtocol;
  url: string;
  tcpMs: number | null;
  /** For hops after the first: the index of the hop whose handshake reached this one. */
  reachedThrough: number | null;
  tlsMs: number | null;
  handshakeMs: number | null;
  /** null when the hop was not reached. */
  auth: AuthState | null;
  /** 'not-used': the chain's routing or mode picked other hops for this target. */
  result: 'ok' | 'failed' | 'not-tried' | 'not-used';
  code: ChainErrorCode | null;
}

export interface ErrorReport {
  code: ChainErrorCode;
  phase: Phase;
  stage: Stage | null;
  replyStarted: boolean;
  reason: FailureReason | null;
  /** The errno-style code of the underlying error (ECONNREFUSED, EHOSTUNREACH, CERT_HAS_EXPIRED). */
  causeCode: string | null;
  hopIndex: number;
  hop: string | null;
  target: string | null;
  reply: string | null;
  message: string;
  hint: string;
}

export interface AppReport {
  scheme: 'http' | 'https';
  /** HEAD status; null when the check failed before a response. */
  status: number | null;
  statusText: string | null;
  ms: number | null;
  tls: PeerCertificate | null;
  error: { message: string; kind: AfterTunnel; hint: string } | null;
}

export type TargetStatus = 'reachable' | 'unreachable' | 'hop-failed' | 'app-failed' | 'invalid';

/** What probe's follow-ups conclude about a failure (diagnose.ts builds it; docs/cli.md, Diagnosis). */
export interface Diagnosis {
  link: Link & { label: string };
  cause: Cause;
  evidence: Evidence[];
  remedy: string;
}

export interface Evidence {
  step: string;
  result: string;
  ms: number | null;
}

export interface TargetReport {
  target: string;
  host: string;
  port: number;
  status: TargetStatus;
  exitCode: number;
  /** NO_PROXY (or a scheme without a proxy) sends this target around the chain, directly. */
  direct: boolean;
  totalMs: number;
  hops: HopReport[];
  error: ErrorReport | null;
  app: AppReport | null;
  /** null when the target is reachable (docs/cli.md, Diagnosis). */
  diagnosis: Diagnosis | null;
  /**
   * A PAC chain (no hops of its own): the routes its file gave for this target, in the order
   * they are tried: hop URLs (passwords masked) per route, or 'direct'. null for other chains.
   */
  pacRoutes: (string[] | 'direct')[] | null;
}

const STATUS: Record<FailureKind, TargetStatus> = {
  target: 'unreachable',
  hop: 'hop-failed',
  config: 'invalid',
};

export function buildReport(
  chain: Chain,
  target: { host: string; port: number; text: string },
  trace: readonly TraceEntry[],
  totalMs: number,
  error: unknown,
  direct = false,
): TargetReport {
  const failure = error === undefined ? undefined : asChainError(error);
  const kind = failure ? failureKind(failure, chain.hops.length, target.text) : undefined;
  // With retries the trace holds every attempt: the last entry is the attempt that counts.
  const ms = (index: number, phase: TraceEntry['phase']) => {
    const entry = trace.findLast((e) => e.hopIndex === index && e.phase === phase);
    return entry ? roundMs(entry.ms) : null;
  };
  // The hops the tunnel went through, in order: every hop of a strict chain, fewer when the
  // chain routes by scheme or picks hops (modes). A failing step leaves no trace entry.
  const path = attemptPath(trace, failure);
  // The hop that failed; after a "could not reach hop k" from hop k-1, hop k itself.
  const failedAt = failure && kind === 'hop' ? failure.hopIndex : -1;
  // A hop whose reply reported on its destination (the next hop, or the target) got past
  // authentication; a timeout while waiting for that reply proves nothing.
  const reporter =
    failure?.reply === undefined
      ? undefined
      : kind === 'target'
        ? failure.hopIndex
        : failure.phase === 'tcp'
          ? path[path.indexOf(failedAt) - 1]
          : undefined;
  const hops = chain.hops.map((hop, index): HopReport => {
    const position = path.indexOf(index);
    const tried = position >= 0;
    const failed = index === failedAt;
    const credentials = hop.username !== undefined || hop.password !== undefined;
    const handshakeMs = ms(index, 'handshake');
    return {
      index,
      protocol: hop.protocol,
      url: hop.url,
      tcpMs: position === 0 ? ms(index, 'tcp') : null,
      reachedThrough: position > 0 ? (path[position - 1] ?? null) : null,
      tlsMs: hop.protocol === 'https' ? ms(index, 'tls') : null,
      handshakeMs,
      auth: tried
        ? authState(credentials, handshakeMs !== null, failed ? failure : undefined, index === reporter)
        : null,
      result: tried ? (failed ? 'failed' : 'ok') : failure ? 'not-tried' : 'not-used',
      code: failed && failure ? failure.code : null,
    };
  });
  return {
    target: target.text,
    host: target.host,
    port: target.port,
    status: kind ? STATUS[kind] : 'reachable',
    exitCode: kind ? exitCodeFor(kind) : EXIT.ok,
    direct,
    totalMs: roundMs(totalMs),
    hops,
    error: failure ? errorReport(failure, chain.hops.length, target.text) : null,
    app: null,
    diagnosis: null,
    pacRoutes: null,
  };
}

/**
 * The hops the tunnel went through, in order: every hop of a strict chain, fewer when the
 * chain routes by scheme or picks hops (modes). A failing step leaves no trace entry, so the
 * failing hop is added.
 */
export function attemptPath(trace: readonly TraceEntry[], failure: ChainError | undefined): number[] {
  const path = [...new Set(trace.map((entry) => entry.hopIndex))];
  if (
    failure &&
    failure.code !== 'INVALID_CONFIG' &&
    failure.hopIndex >= 0 &&
    !path.includes(failure.hopIndex)
  ) {
    path.push(failure.hopIndex);
  }
  return path;
}

function authState(
  credentials: boolean,
  completed: boolean,
  failure: ChainError | undefined,
  answered: boolean,
): AuthState {
  if (failure?.code === 'AUTH_FAILED') return 'rejected';
  // A scheme we cannot answer: the proxy wants credentials in a form the hop cannot give.
  if (failure?.code === 'AUTH_REQUIRED' || failure?.code === 'AUTH_UNSUPPORTED') return 'required';
  if (!credentials) return 'none';
  return completed || answered ? 'accepted' : 'unknown';
}

export function errorReport(error: ChainError, hopCount: number, finalTarget?: string): ErrorReport {
  return {
    code: error.code,
    phase: error.phase,
    stage: error.stage ?? null,
    replyStarted: error.replyStarted,
    reason: error.reason ?? null,
    causeCode: errnoOf(error) ?? null,
    hopIndex: error.hopIndex,
    hop: error.hop ?? null,
    target: error.target ?? null,
    reply: error.reply ?? null,
    message: error.message,
    hint: hintFor(error, hopCount, finalTarget),
  };
}

/** Anything the chain threw, as a ChainError (errors.ts); connect, fetch and run/check take it from here. */
export { asChainError };
