/**
 * Failover under the chain's mode: pick the hops, dial them (one *attempt*), and when a hop
 * turns out to be down (dynamic, random, round_robin), mark it and make another attempt
 * without it, until one gets through or too few hops are left. dial() is given the
 * positions it dials, so its errors and trace entries already name hops by their place in
 * `chain.hops`, the list the user wrote; nothing is renumbered here.
 *
 * Words: an *attempt* is one dial() through the picked hops (stats count attempts per hop);
 * inside it dial/pass.ts keeps one *pass* (two under `pipeline: 'auto'`'s hedge); around
 * it chain/retry.ts repeats the whole failover as *tries*.
 */
import type { Duplex } from 'node:stream';
import type { TraceEntry } from '../dial/types.js';
import { ChainError } from '../errors.js';
import type { Hop } from '../hop.js';
import { invalid } from '../validate.js';
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
  /** Dials exactly these hops within `timeoutMs`; `positions` name them in errors and trace. */
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
        last = error;
        failure = error;
        // The proxy closed the connection on its Digest challenge: open the tunnel once
        // more, now that the challenge is known.
        if (error.closedOnChallenge && !redialed) {
          redialed = true;
          continue;
        }
        // The blamed hop and the attempt's last one, both as positions in chain.hops.
        const position = error.hopIndex;
        const lastPosition = positions[positions.length - 1] as number;
        const down = positions.includes(position) && isHopDown(error, lastPosition, options.target);
        if (!down) throw error;
        selector.markDown(position);
        // Strict mode cannot leave a hop out: the failure stands.
        if (selector.mode === 'strict') throw error;
        excluded.add(position);
      }
    } finally {
      options.trace?.push(...trace);
      if (succeeded || failure) options.onAttempt?.(positions, trace, failure);
    }
  }
}

function exhausted(
  last: ChainError | undefined,
  hops: readonly Hop[],
  excluded: ReadonlySet<number>,
): ChainError {
  if (!last) {
    return invalid('no hop to use for this connection');
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
