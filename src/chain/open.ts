/**
 * Opening a tunnel, top down: what `chain.connect(target)` does, in this order.
 *
 *   1. route      NO_PROXY (bypass.ts) and, for HTTP_PROXY/HTTPS_PROXY chains, the route for
 *                 the target's scheme (scheme-routes.ts): 'direct', or the candidate hops.
 *   2. PAC        a chain from a PAC file hands the target to the chain of its route.
 *   3. direct     a bypassed target gets a plain TCP connection (dial/direct.ts).
 *   4. DNS rule   dns: 'local' resolves the target here (dns-rule.ts); NO_PROXY's IP rules
 *                 then apply to the address too.
 *   5. tries      retry.ts repeats 6. after a pause while the overall deadline allows.
 *   6. attempts   failover.ts: the selector (hop-selector.ts) picks hops for the chain's mode;
 *                 a hop found down is marked and left out of the next attempt.
 *   7. dial       one attempt through exactly the picked hops (dial/dial.ts: one pass, or two
 *                 under pipeline: 'auto'), with what the chain has learnt about them.
 *   8. counted    stats.ts and the diagnostics_channel events (events.ts) see every attempt
 *                 and the outcome.
 *
 * Everything a chain keeps between tunnels is in its ChainState, passed in explicitly; this
 * module holds none.
 */
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { dial } from '../dial/dial.js';
import { connectDirect } from '../dial/direct.js';
import type { PipelineMemory } from '../dial/pipeline.js';
import type { Hop, HopTlsOptions } from '../hop.js';
import type { ChainAuth } from '../protocols/auth/memory.js';
import type { H2Sessions } from '../protocols/h2-sessions.js';
import { formatTarget, parseTarget, type Target, type TargetInput } from '../target.js';
import { invalid } from '../validate.js';
import { type NoProxy, shouldBypass } from './bypass.js';
import type { ConnectOptions } from './connector.js';
import { resolveHopsForSocks4, resolveLocally } from './dns-rule.js';
import { tunnelProbe } from './events.js';
import { type Dialed, dialWithFailover } from './failover.js';
import type { HopSelector } from './hop-selector.js';
import { positive, type ResolvedChainOptions } from './options.js';
import { withRetries } from './retry.js';
import { routeFor, type SchemeRoutes, urlProtocol } from './scheme-routes.js';
import type { StatsRecorder } from './stats.js';

/** Chains from a PAC file: the file picks, per target, the chain (or 'direct') to use. */
export interface PerTargetRoutes {
  connect(target: Target, protocol: string | undefined, options: ConnectOptions): Promise<net.Socket>;
}

/** What one chain knows and keeps: its settings and everything it learns (never shared). */
export interface ChainState {
  readonly hops: readonly Hop[];
  readonly options: ResolvedChainOptions;
  /** TLS settings for https:// hops (`ca`, `rejectUnauthorized`). */
  readonly tls: HopTlsOptions;
  readonly noProxy: NoProxy;
  /** HTTP_PROXY vs HTTPS_PROXY routes (config/env.ts), when the chain has them. */
  readonly routes: SchemeRoutes | undefined;
  readonly pac: PerTargetRoutes | undefined;
  /** The mode's choice of hops and the hops it found down. */
  readonly selector: HopSelector;
  /** Proxy-auth schemes and Digest challenges the hops asked for, and the chain's hook. */
  readonly auth: ChainAuth;
  /** Hops found to take (or drop) pipelined bytes under `pipeline: 'auto'`. */
  readonly pipelineMemory: PipelineMemory;
  /** HTTP/2 connections to an https:// first hop with `http2`. */
  readonly h2Sessions: H2Sessions;
  readonly stats: StatsRecorder;
}

/** `chain.connect`: a tunnel to `target`, or a direct connection when the chain bypasses it. */
export async function openTunnel(
  state: ChainState,
  target: TargetInput,
  options: ConnectOptions,
): Promise<net.Socket> {
  let dest = parseTarget(target);
  const timeoutMs = deadlineOf(state, options);
  const protocol = options.protocol ?? urlProtocol(target);
  const route = routeOf(state, dest, protocol);
  if (state.pac && route !== 'direct') return state.pac.connect(dest, protocol, { ...options, timeoutMs });
  const { signal } = options;
  if (route === 'direct') return connectDirect(dest, { signal, timeoutMs });
  if (state.options.dns === 'local') {
    dest = await resolveLocally(dest, { signal, timeoutMs });
    // Resolved here, the address meets the IP rules too, as proxychains' localnet does.
    if (shouldBypass(dest, state.noProxy)) return connectDirect(dest, { signal, timeoutMs });
  }
  const { socket } = await open(state, route, dest, options, timeoutMs);
  return socket as net.Socket;
}

/** `chain.connectToLastHop`: through the hops before it to the last hop itself, no handshake. */
export async function openToLastHop(
  state: ChainState,
  options: ConnectOptions,
): Promise<{ socket: net.Socket; hop: Hop }> {
  const timeoutMs = deadlineOf(state, options);
  const protocol = options.protocol ?? 'http:';
  const route = routeFor(state.routes, allPositions(state), protocol, undefined);
  if (route === 'direct') {
    throw invalid(
      `no proxy is configured for ${protocol} targets (they connect directly): there is no last hop to reach`,
    );
  }
  const { socket, positions } = await open(state, route, undefined, options, timeoutMs);
  return { socket: socket as net.Socket, hop: state.hops[positions[positions.length - 1] as number] as Hop };
}

/** Which hops may carry a tunnel to `dest` (their positions), or 'direct'. */
export function routeOf(
  state: ChainState,
  dest: Target,
  protocol: string | undefined,
): readonly number[] | 'direct' {
  if (shouldBypass(dest, state.noProxy)) return 'direct';
  return routeFor(state.routes, allPositions(state), protocol, dest);
}

/**
 * One dial through exactly the hops at `positions`: no mode, failover or retry (probe's
 * follow-ups, health checks). Without a target, to the last of those hops itself.
 */
export function dialThrough(
  state: ChainState,
  positions: readonly number[],
  target: Target | undefined,
  options: { timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<Duplex> {
  const hops = positions.map((position) => state.hops[position] as Hop);
  const last = hops[hops.length - 1];
  return dial({
    hops,
    target: target ?? { host: last?.host ?? '', port: last?.port ?? 0 },
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    hopTimeoutMs: Math.min(options.timeoutMs, state.options.hopTimeoutMs),
    tls: state.tls,
    stopAtLastHop: target === undefined,
    positions,
    auth: state.auth,
  });
}

/** Steps 5 to 8: tries around attempts around dial, counted. To `dest`, or to the last hop. */
function open(
  state: ChainState,
  candidates: readonly number[],
  dest: Target | undefined,
  options: ConnectOptions,
  timeoutMs: number,
): Promise<Dialed> {
  const { hops, options: settings } = state;
  const { signal } = options;
  const target = dest && formatTarget(dest);
  const probe = tunnelProbe(hops, target);
  const opening = withRetries(
    (remainingMs) =>
      dialWithFailover({
        hops,
        candidates,
        selector: state.selector,
        target,
        trace: options.trace,
        deadline: performance.now() + remainingMs,
        prepare: settings.dns === 'local' ? resolveHopsForSocks4 : undefined,
        onAttempt: (positions, trace, error) => {
          state.stats.attempt(positions, trace, error);
          probe?.attempt(positions, trace, error);
        },
        dial: (picked, trace, attemptMs, positions) => {
          const last = picked[picked.length - 1] as Hop;
          return dial({
            hops: picked,
            positions,
            target: dest ?? { host: last.host, port: last.port },
            stopAtLastHop: dest === undefined,
            signal,
            timeoutMs: attemptMs,
            hopTimeoutMs: settings.hopTimeoutMs,
            tls: state.tls,
            trace,
            pipeline: settings.pipeline,
            pipelineMemory: state.pipelineMemory,
            h2Sessions: state.h2Sessions,
            auth: state.auth,
          });
        },
      }),
    { retry: settings.retries, signal, timeoutMs, discard: ({ socket }) => socket.destroy() },
  );
  const counted = opening.then(
    (dialed) => {
      state.stats.established(dialed.socket);
      return dialed;
    },
    (error: unknown) => {
      state.stats.failed(error);
      throw error;
    },
  );
  return probe ? probe.watch(counted) : counted;
}

/** The overall deadline of one connect: the call's `timeoutMs`, else the chain's. */
function deadlineOf(state: ChainState, options: ConnectOptions): number {
  return options.timeoutMs === undefined
    ? state.options.timeoutMs
    : positive(options.timeoutMs, 0, 'timeoutMs');
}

function allPositions(state: ChainState): number[] {
  return state.hops.map((_, index) => index);
}
