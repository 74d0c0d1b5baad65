/**
 * What dial() is given and what it reports, apart from the code that does it, so that the
 * pieces of the dial floor (dial.ts, pass.ts, pipeline-auto.ts) and the floors above share
 * the types without importing one another in a circle.
 */
import type { Hop, HopTlsOptions } from '../hop.js';
import type { ChainAuth } from '../protocols/auth/memory.js';
import type { H2Sessions } from '../protocols/h2-sessions.js';
import type { Target } from '../target.js';
import type { PipelineMemory, PipelineMode } from './pipeline.js';

/** One step of opening a tunnel; `hopIndex` is the hop's position in `chain.hops`. */
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
  /** Filled with per-hop timings as the pass goes (probe reads it). */
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
   * Where each of `hops` sits in `chain.hops` (0-based), when a mode dialed only some hops.
   * Errors (`hopIndex`, the hop numbers in messages) and trace entries are built with these
   * positions right away; nobody renumbers them later. Default: `hops` is the whole chain.
   */
  positions?: readonly number[] | undefined;
}

export interface RunWatch {
  /** `stepMs`: how long the step before the run took (about one round trip to its first hop). */
  written(run: readonly Hop[], stepMs: number): void;
  answered(run: readonly Hop[]): void;
}

/** The position in `chain.hops` of dialed hop `index` (see DialOptions.positions). */
export function positionOf(options: Pick<DialOptions, 'positions'>, index: number): number {
  return options.positions?.[index] ?? index;
}
