/**
 * Pipelined chain setup: which hops' handshakes can be written in one go. Once hop i is
 * reached, every message whose content does not depend on a reply — hop i's request(s), then
 * hop i+1's, … — is written at once, and the replies are read and checked in order. A
 * well-behaved proxy buffers what follows a request until its tunnel is up and then relays
 * it, so the whole run costs one round trip to its last hop instead of one per message.
 *
 * A run stops before an https:// hop (a TLS handshake is interactive), after an HTTP hop (see
 * runLength), and before a hop that does not take pipelined bytes. `'auto'` pipelines across
 * every hop not yet known to refuse it, and learns per chain (a PipelineMemory each): see
 * pipeline-auto.ts for how a hop that drops early bytes is found out in a few round trips.
 */
import type { Hop } from '../hop.js';

export type PipelineMode = boolean | 'auto';

const MEMORY_LIMIT = 1024;

/**
 * What one chain learnt about its hops under `'auto'`: which dropped pipelined bytes, and
 * which took them (those are no longer watched for a stall). Kept per chain, not per
 * process, so that two chains (or tests) never see each other's guesses.
 */
export class PipelineMemory {
  readonly #refusing = new Set<string>();
  readonly #accepting = new Set<string>();

  refuses(hop: Hop): boolean {
    return this.#refusing.has(hop.url);
  }

  accepts(hop: Hop): boolean {
    return this.#accepting.has(hop.url);
  }

  rememberRefusal(hops: readonly Hop[]): void {
    remember(this.#refusing, hops);
    for (const hop of hops) this.#accepting.delete(hop.url);
  }

  rememberAcceptance(hops: readonly Hop[]): void {
    remember(this.#accepting, hops);
  }
}

function remember(set: Set<string>, hops: readonly Hop[]): void {
  if (set.size >= MEMORY_LIMIT) set.clear();
  for (const hop of hops) set.add(hop.url);
}

/** Whether `hop` may relay bytes that arrive before its tunnel is up. */
export function acceptsPipelining(hop: Hop, mode: PipelineMode, memory?: PipelineMemory): boolean {
  if (hop.pipeline === false) return false;
  if (hop.pipeline === true) return true;
  if (mode === false) return false;
  return mode === true || !memory?.refuses(hop);
}

/** Any hop of this chain would be pipelined (so a failure may be worth a sequential retry). */
export function wantsPipelining(hops: readonly Hop[], mode: PipelineMode, memory?: PipelineMemory): boolean {
  return hops.some((hop) => acceptsPipelining(hop, mode, memory));
}

/**
 * How many hops, from `start`, get their handshakes written together (1 = hop `start` alone,
 * its own messages still sent in one go). 0 when hop `start` is not pipelined at all.
 */
export function runLength(
  hops: readonly Hop[],
  start: number,
  mode: PipelineMode,
  stopAtLastHop: boolean,
  memory?: PipelineMemory,
): number {
  const first = hops[start];
  if (!first || !acceptsPipelining(first, mode, memory)) return 0;
  let end = start;
  for (;;) {
    const next = hops[end + 1];
    if (!next || next.protocol === 'https') break;
    // Only a SOCKS hop relays the next hop's bytes: on a refusal it closes the connection and
    // reads nothing more. An HTTP proxy may keep the connection after a 403 or 407 (squid does)
    // and would take the next hop's request, credentials and all, as a request of its own.
    if (isHttp(hops[end] as Hop)) break;
    if (stopAtLastHop && end + 1 === hops.length - 1) break;
    // Hop `end` must relay the next hop's early bytes; the next hop must take its own.
    if (!acceptsPipelining(hops[end] as Hop, mode, memory) || !acceptsPipelining(next, mode, memory)) break;
    end++;
  }
  return end - start + 1;
}

/**
 * Whether a run writes bytes a hop must hold before answering: a SOCKS5 greeting's followers,
 * or a later hop's handshake. A lone HTTP CONNECT or SOCKS4 request sends nothing ahead.
 */
export function sendsAhead(run: readonly Hop[]): boolean {
  return run.length > 1 || run[0]?.protocol === 'socks5' || run[0]?.protocol === 'socks5h';
}

function isHttp(hop: Hop): boolean {
  return hop.protocol === 'http' || hop.protocol === 'https';
}
