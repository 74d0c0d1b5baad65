/**
 * What the floors above the chain (adapters, server, config) may ask of one: a small
 * interface, so that they never import the Chain class (chain.ts imports them to offer
 * agent(), dispatcher(), serve() and the fromX factories; importing it back would be a
 * cycle). Chain implements these; each user declares the part it uses.
 */
import type net from 'node:net';
import type { TraceEntry } from '../dial/types.js';
import type { Hop } from '../hop.js';
import type { TargetInput } from '../target.js';
import type { ResolvedChainOptions } from './options.js';
import type { ChainStats } from './stats.js';

export interface ConnectOptions {
  signal?: AbortSignal;
  /** Overrides the chain's overall deadline for this connection. */
  timeoutMs?: number;
  /** Receives per-hop timings as the tunnel opens (hopIndex: positions in `chain.hops`). */
  trace?: TraceEntry[];
  /**
   * The scheme of the URL being fetched ('http:', 'https:'...), for chains that route by it
   * (HTTP_PROXY vs HTTPS_PROXY). Default: taken from a URL target, else guessed from the port.
   */
  protocol?: string;
}

/** A chain as the adapters and `serve` use it: tunnels, and the facts to set them up. */
export interface ChainConnector {
  readonly hops: readonly Hop[];
  readonly options: ResolvedChainOptions;
  /** A tunnel to `target` (or a direct connection when the chain bypasses it). */
  connect(target: TargetInput, options?: ConnectOptions): Promise<net.Socket>;
  /** A connection to the last hop itself, for absolute-form HTTP; `hop` is the one reached. */
  connectToLastHop(options?: ConnectOptions): Promise<{ socket: net.Socket; hop: Hop }>;
  /** Whether connections to `target` go direct (NO_PROXY, or no proxy for its scheme). */
  bypasses(target: TargetInput, options?: { protocol?: string }): boolean;
}

/** A connector that frees what it holds: the chains a PAC file's routes make. */
export interface ClosableChainConnector extends ChainConnector {
  close(): Promise<void>;
}

/** What serve's status endpoint reads. */
export interface StatsSource {
  stats(): ChainStats;
}
