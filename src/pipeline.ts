/**
 * Pipelined chain setup: which hops' handshakes can be written in one go. Once hop i is
 * reached, every message whose content does not depend on a reply — hop i's request(s), then
 * hop i+1's, … — is written at once, and the replies are read and checked in order. A
 * well-behaved proxy buffers what follows a request until its tunnel is up and then relays
 * it, so the whole run costs one round trip to its last hop instead of one per message.
 *
 * A run stops before an https:// hop (a TLS handshake is interactive), after an HTTP hop (see
 * runLength), and before a hop that does not take pipelined bytes. `'auto'` pipelines across every hop not yet known to refuse
 * it; when a pipelined attempt fails and a sequential one then succeeds, the hops of that
 * run are remembered as refusing it (for this process).
 */
import type { Hop } from './url.js';

export type PipelineMode = boolean | 'auto';

const refusing = new Set<string>();
const MEMORY_LIMIT = 1024;

/** Whether `hop` may relay bytes that arrive before its tunnel is up. */
export function acceptsPipelining(hop: Hop, mode: PipelineMode): boolean {
  if (hop.pipeline === false) return false;
  if (hop.pipeline === true) return true;
  if (mode === false) return false;
  return mode === true || !refusing.has(hop.url);
}

/** Any hop of this chain would be pipelined (so a failure may be worth a sequential retry). */
export function wantsPipelining(hops: readonly Hop[], mode: PipelineMode): boolean {
  return hops.some((hop) => acceptsPipelining(hop, mode));
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
): number {
  const first = hops[start];
  if (!first || !acceptsPipelining(first, mode)) return 0;
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
    if (!acceptsPipelining(hops[end] as Hop, mode) || !acceptsPipelining(next, mode)) break;
    end++;
  }
  return end - start + 1;
}

function isHttp(hop: Hop): boolean {
  return hop.protocol === 'http' || hop.protocol === 'https';
}

export function rememberRefusal(hops: readonly Hop[]): void {
  if (refusing.size >= MEMORY_LIMIT) refusing.clear();
  for (const hop of hops) refusing.add(hop.url);
}

/** Forgets what was learnt (for tests). */
export function forgetPipelining(): void {
  refusing.clear();
}
