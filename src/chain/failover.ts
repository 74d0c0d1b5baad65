/**
 * One connection attempt under the chain's mode: pick the hops, dial them, and when a hop
 * turns out to be down (dynamic, random, round_robin), mark it and dial again without it,
 * until a chain gets through or too few hops are left. Errors and trace entries are
 * renumbered from the dialed list to positions in `chain.hops`, the list the user wrote.
 */
import type { Duplex } from 'node:stream';
import type { TraceEntry } from '../dial/dial.js';
import { ChainError } from '../errors.js';
import type { Hop } from '../hop.js';
import { needsRedial } from '../protocols/auth/connect-auth.js';
import { type HopSelector, isHopDown } from './hop-selector.js';

export interface FailoverOptions {
  /** chain.hops. */
  hops: readonly Hop[];
  /** Positions this connection may use (all, or the route for the target's scheme). */
  candidates: readonly number[];
  selector: HopSelector;
  /** The final target as `host:port`, to tell a filtered target from a dead last hop. */
  target: string | undefined;
  trace?: TraceEntry[] | undefined;
  /** performance.now() by which the tunnel must be up. */
  deadline: number;
  /** Rewrites the chosen hops before dialing (dns: 'local' resolves some names). */
  prepare?(hops: readonly Hop[]): Promise<readonly Hop[]>;
  /** Dials exactly these hops within `timeoutMs`; `positions` name them in messages. */
  dial(
    hops: readonly Hop[],
    trace: TraceEntry[],
    timeoutMs: number,
    positions: readonly number[],
  ): Promise<Duplex>;
  /** Told of each attempt once it ends: hops as positions, timings, the error if it failed. */
  onAttempt?(positions: readonly number[], trace: readonly TraceEntry[], error: ChainError | undefined): void;
}

export interface Dialed {
  socket: Duplex;
  /** The positions in chain.hops that carry the tunnel, in order. */
  positions: number[];
}

export async function dialWithFailover(options: FailoverOptions): Promise<Dialed> {
  const { hops, candidates, selector } = options;
  const excluded = new Set<number>();
  let redialed = false;
  let last: ChainError | undefined;
  for (;;) {
    const positions = selector.select(candidates, excluded);
    if (!positions || positions.length === 0) throw exhausted(last, hops, excluded);
    const left = options.deadline - performance.now();
    if (last && left < 1) throw last;
    const chosen = positions.map((position) => hops[position] as Hop);
    const trace: TraceEntry[] = [];
    let failure: ChainError | undefined;
    let succeeded = false;
    try {
      const dialed = options.prepare ? await options.prepare(chosen) : chosen;
      try {
        const socket = await options.dial(dialed, trace, Math.max(1, Math.ceil(left)), positions);
        for (const position of positions) selector.markUp(position);
        succeeded = true;
        return { socket, positions };
      } catch (error) {
        if (!(error instanceof ChainError)) throw error;
        last = renumber(error, positions);
        failure = last;
        // The proxy closed the connection on its Digest challenge: open the tunnel once
        // more, now that the challenge is known.
        if (needsRedial(error) && !redialed) {
          redialed = true;
          continue;
        }
        const position = positions[error.hopIndex];
        const down = position !== undefined && isHopDown(error, positions.length - 1, options.target);
        if (!down) throw last;
        selector.markDown(position);
        // Strict mode cannot leave a hop out: the failure stands.
        if (selector.mode === 'strict') throw last;
        excluded.add(position);
      }
    } finally {
      const renumbered = trace.map((entry) => ({
        ...entry,
        hopIndex: positions[entry.hopIndex] ?? entry.hopIndex,
      }));
      options.trace?.push(...renumbered);
      if (succeeded || failure) options.onAttempt?.(positions, renumbered, failure);
    }
  }
}

/**
 * The same error with `hopIndex` counted in chain.hops. Its message already names hops by
 * their place in chain.hops (dial was given the positions), so no text is rewritten.
 */
export function renumber(error: ChainError, positions: readonly number[]): ChainError {
  const hopIndex = error.hopIndex >= 0 ? (positions[error.hopIndex] ?? error.hopIndex) : error.hopIndex;
  if (hopIndex === error.hopIndex) return error;
  return new ChainError({
    code: error.code,
    message: error.message,
    hopIndex,
    hop: error.hop,
    phase: error.phase,
    stage: error.stage,
    replyStarted: error.replyStarted,
    reason: error.reason,
    target: error.target,
    reply: error.reply,
    cause: error.cause,
  });
}

function exhausted(
  last: ChainError | undefined,
  hops: readonly Hop[],
  excluded: ReadonlySet<number>,
): ChainError {
  if (!last) {
    return new ChainError({
      code: 'INVALID_CONFIG',
      phase: 'config',
      message: 'no hop to use for this connection',
    });
  }
  const down = [...excluded].map((position) => `hop ${position + 1} (${hops[position]?.url})`).join(', ');
  return new ChainError({
    code: last.code,
    message: `${last.message}; no other hop left to try (down: ${down})`,
    hopIndex: last.hopIndex,
    hop: last.hop,
    phase: last.phase,
    stage: last.stage,
    replyStarted: last.replyStarted,
    reason: last.reason,
    target: last.target,
    reply: last.reply,
    cause: last.cause,
  });
}
