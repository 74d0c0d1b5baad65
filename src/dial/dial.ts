/**
 * One tunnel through a fixed list of hops: TCP to the first hop, then for each hop TLS
 * (https) and its handshake over whatever the previous step produced. The DialPass owns
 * every socket it opens, the per-hop and overall timers and the caller's AbortSignal; on
 * any failure it destroys every socket and reports one ChainError, its hop already named
 * by its position in `chain.hops` (DialOptions.positions).
 */
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Hop } from '../hop.js';
import { releaseStream } from '../io/read-until.js';
import type { HopContext } from '../protocols/context.js';
import { h2Tunnel } from '../protocols/h2-connect.js';
import type { H2Sessions } from '../protocols/h2-sessions.js';
import { handshake, requests } from '../protocols/index.js';
import { dialTcp } from '../protocols/tcp.js';
import { wrapTls } from '../protocols/tls.js';
import { formatTarget } from '../target.js';
import { invalid } from '../validate.js';
import { DialPass, hopNumber } from './pass.js';
import { type PipelineMode, runLength, wantsPipelining } from './pipeline.js';
import { dialAuto } from './pipeline-auto.js';
import { type DialOptions, positionOf, type TraceEntry } from './types.js';

export type { DialOptions, RunWatch, TraceEntry } from './types.js';

/**
 * One tunnel. With `pipeline: 'auto'`, a pipelined attempt that stalls or fails the way
 * dropped early bytes make it fail gets a sequential one beside it (pipeline-auto.ts).
 */
export async function dial(options: DialOptions): Promise<Duplex> {
  const mode = options.pipeline ?? false;
  const memory = options.pipelineMemory;
  if (mode !== 'auto' || !memory || !wantsPipelining(options.hops, mode, memory))
    return dialOnce(options, mode);
  return dialAuto(options, memory, dialOnce);
}

async function dialOnce(options: DialOptions, mode: PipelineMode): Promise<Duplex> {
  const { hops, target } = options;
  const first = hops[0];
  if (!first) throw invalid('a chain needs at least one hop');
  checkNames(options);
  const pass = new DialPass(options);
  // `index` walks `hops`; the context names the hop by its position in chain.hops.
  const contextFor = (index: number): HopContext => {
    const next = hops[index + 1];
    return {
      index: positionOf(options, index),
      nextIndex: next ? positionOf(options, index + 1) : undefined,
      hop: hops[index] as Hop,
      dest: next ? { host: next.host, port: next.port } : target,
      next,
      remainingMs: () => pass.remainingMs(),
      progress: (read) => pass.setProgress(read),
      track: (s) => pass.track(s),
      auth: options.auth,
    };
  };
  // How long the last step took: about one round trip to the hop a pipelined run starts at.
  let stepMs = 0;
  // Timed only when 'auto' watches a run (its stall wait is counted in round trips of the
  // step before it); otherwise the pass's own step, without an extra promise per step.
  const timed = async <T>(index: number, phase: TraceEntry['phase'], run: () => Promise<T>): Promise<T> => {
    const began = performance.now();
    const result = await pass.step(index, phase, run);
    stepMs = performance.now() - began;
    return result;
  };
  const step: typeof timed = options.watch ? timed : (index, phase, run) => pass.step(index, phase, run);
  try {
    // Hop 1 over HTTP/2: a CONNECT stream on a shared connection (h2-connect.ts), or a new
    // TLS connection on which the proxy picked HTTP/1.1 (then only its CONNECT is left to do).
    // Not when the chain stops at hop 1 itself (absolute-form HTTP is spoken to it over HTTP/1.1).
    const h2 =
      options.h2Sessions?.wants(first) && !(options.stopAtLastHop && hops.length === 1)
        ? await step(0, 'handshake', () =>
            h2Tunnel(options.h2Sessions as H2Sessions, contextFor(0), options.tls),
          )
        : undefined;
    if (h2?.kind === 'http1') pass.track(h2.socket);
    let socket: Duplex =
      h2?.kind === 'h2'
        ? h2.stream
        : h2?.kind === 'http1'
          ? h2.socket
          : await step(0, 'tcp', () => dialTcp(first, positionOf(options, 0), (s) => pass.track(s)));
    for (let index = h2?.kind === 'h2' ? 1 : 0; index < hops.length; index++) {
      const hop = hops[index] as Hop;
      if (index > 0) pass.startHop(index);
      if (hop.protocol === 'https' && !(index === 0 && h2?.kind === 'http1')) {
        const below = socket;
        socket = await step(index, 'tls', () =>
          wrapTls(
            below,
            hop,
            positionOf(options, index),
            options.tls,
            (s) => pass.track(s),
            (read) => pass.setProgress(read),
          ),
        );
      }
      const next = hops[index + 1];
      if (!next && options.stopAtLastHop) break;
      const over = socket;
      const run = runLength(hops, index, mode, options.stopAtLastHop === true, options.pipelineMemory);
      if (run === 0) {
        await step(index, 'handshake', () => handshake(over, contextFor(index)));
        continue;
      }
      // Pipelined: every request of hops index..index+run-1 in one write, then the replies in order.
      const contexts = Array.from({ length: run }, (_, k) => contextFor(index + k));
      over.write(Buffer.concat(contexts.map((ctx) => requests(ctx))));
      const pipelined = contexts.map((ctx) => ctx.hop);
      options.watch?.written(pipelined, stepMs);
      for (const [k, ctx] of contexts.entries()) {
        if (k > 0) pass.startHop(index + k);
        await step(index + k, 'handshake', () => handshake(over, ctx, true));
      }
      options.watch?.answered(pipelined);
      index += run - 1;
    }
    pass.succeed(socket);
    releaseStream(socket);
    return socket;
  } catch (error) {
    throw pass.fail(error);
  }
}

/** A plain socks4:// hop can only be asked for an IP address. */
function checkNames(options: DialOptions): void {
  const { hops, target } = options;
  const label = (index: number) => hopNumber(options, index);
  hops.forEach((hop, index) => {
    if (hop.protocol !== 'socks4') return;
    const next = hops[index + 1];
    const dest = next ? { host: next.host, port: next.port } : target;
    if (isIP(dest.host)) return;
    const what = next ? `hop ${label(index + 1)} (${next.url})` : `the target ${formatTarget(dest)}`;
    throw invalid(
      `hop ${label(index)} (${hop.url}) is plain SOCKS4, which cannot carry the host name of ${what}: use socks4a:// (the proxy resolves it) or dns: 'local' (resolve it here)`,
      { hopIndex: positionOf(options, index), hop: hop.url, target: formatTarget(dest) },
    );
  });
}
