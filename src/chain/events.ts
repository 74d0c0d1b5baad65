/**
 * diagnostics_channel events for every tunnel, named after undici's conventions
 * (`undici:request:create`...): a stable interface for APM agents, metrics and logs
 * (docs/operations.md). Payloads carry redacted hop URLs, codes and timings, never a
 * credential. With no subscriber nothing is built: `hasSubscribers` is checked once per
 * tunnel, before any payload exists.
 */
import diagnostics from 'node:diagnostics_channel';
import type { Duplex } from 'node:stream';
import type { TraceEntry } from '../dial/types.js';
import { ChainError } from '../errors.js';
import type { Hop } from '../hop.js';

export const channels = {
  /** `{ tunnel }`: a tunnel starts opening. */
  start: diagnostics.channel('sockschain:tunnel:start'),
  /** `{ tunnel, hopIndex, hop, tcpMs, tlsMs, handshakeMs, durationMs }`: a hop did its part. */
  hopConnected: diagnostics.channel('sockschain:hop:connected'),
  /** `{ tunnel, hopIndex, hop, code, phase, durationMs, error }`: the hop an attempt failed at. */
  hopFailed: diagnostics.channel('sockschain:hop:failed'),
  /** `{ tunnel, hops, durationMs }`: the tunnel is open (`hops`: the positions that carry it). */
  established: diagnostics.channel('sockschain:tunnel:established'),
  /** `{ tunnel, error, code, hopIndex, durationMs }`: the tunnel could not be opened. */
  failed: diagnostics.channel('sockschain:tunnel:failed'),
  /** `{ tunnel, bytesUp, bytesDown, durationMs, openMs, reason, error }`: an open tunnel closed. */
  closed: diagnostics.channel('sockschain:tunnel:closed'),
} as const;

/** Names of the channels, for subscribers: `diagnostics_channel.subscribe(CHANNELS.closed, fn)`. */
export const CHANNELS = Object.fromEntries(
  Object.entries(channels).map(([key, channel]) => [key, channel.name as string]),
) as { readonly [K in keyof typeof channels]: string };

/** What every event of one tunnel carries as `tunnel`. */
export interface TunnelInfo {
  /** Unique within the process. */
  readonly id: number;
  /** `host:port`, or undefined for a connection to the last hop itself (absolute-form). */
  readonly target: string | undefined;
  /** Every hop of the chain, redacted (hopIndex values point into it). */
  readonly hops: readonly string[];
  /** performance.now() when the tunnel started opening. */
  readonly startTime: number;
}

/**
 * Tunnel ids, process-wide on purpose: subscribers (APM, logs) see the tunnels of every
 * chain on the same channels and must tell them apart. A counter, not something a chain
 * learns about its hops, so it is not chain state.
 */
let nextId = 1;

function anySubscribers(): boolean {
  for (const channel of Object.values(channels)) if (channel.hasSubscribers) return true;
  return false;
}

/** One tunnel's events; undefined (and free) when nobody listens. */
export interface TunnelProbe {
  attempt(positions: readonly number[], trace: readonly TraceEntry[], error: ChainError | undefined): void;
  watch<T extends { socket: Duplex; positions: number[] }>(opening: Promise<T>): Promise<T>;
}

export function tunnelProbe(hops: readonly Hop[], target: string | undefined): TunnelProbe | undefined {
  if (!anySubscribers()) return undefined;
  const tunnel: TunnelInfo = Object.freeze({
    id: nextId++,
    target,
    hops: Object.freeze(hops.map((hop) => hop.url)),
    startTime: performance.now(),
  });
  if (channels.start.hasSubscribers) channels.start.publish({ tunnel });
  return {
    attempt: (positions, trace, error) => publishHops(tunnel, hops, positions, trace, error),
    watch: (opening) =>
      opening.then(
        (dialed) => {
          const openMs = performance.now() - tunnel.startTime;
          if (channels.established.hasSubscribers) {
            channels.established.publish({ tunnel, hops: [...dialed.positions], durationMs: openMs });
          }
          watchClose(tunnel, dialed.socket, openMs);
          return dialed;
        },
        (error: unknown) => {
          if (channels.failed.hasSubscribers) {
            const chainError = error instanceof ChainError ? error : undefined;
            channels.failed.publish({
              tunnel,
              error,
              code: chainError?.code,
              hopIndex: chainError?.hopIndex,
              durationMs: performance.now() - tunnel.startTime,
            });
          }
          throw error;
        },
      ),
  };
}

/** hop:connected for each hop an attempt got through, hop:failed for the one it stopped at. */
function publishHops(
  tunnel: TunnelInfo,
  hops: readonly Hop[],
  positions: readonly number[],
  trace: readonly TraceEntry[],
  error: ChainError | undefined,
): void {
  const failedAt = error && error.hopIndex >= 0 ? error.hopIndex : undefined;
  for (const position of positions) {
    const entries = trace.filter((entry) => entry.hopIndex === position);
    const phaseMs = (phase: TraceEntry['phase']) =>
      entries.filter((entry) => entry.phase === phase).reduce((sum, entry) => sum + entry.ms, 0);
    const durationMs = entries.reduce((sum, entry) => sum + entry.ms, 0);
    const hop = hops[position]?.url;
    if (position === failedAt) {
      if (channels.hopFailed.hasSubscribers) {
        channels.hopFailed.publish({
          tunnel,
          hopIndex: position,
          hop,
          code: error?.code,
          phase: error?.phase,
          durationMs,
          error,
        });
      }
      return;
    }
    if (entries.length === 0) return;
    if (channels.hopConnected.hasSubscribers) {
      channels.hopConnected.publish({
        tunnel,
        hopIndex: position,
        hop,
        tcpMs: phaseMs('tcp'),
        tlsMs: phaseMs('tls'),
        handshakeMs: phaseMs('handshake'),
        durationMs,
      });
    }
  }
}

type Counted = Duplex & { bytesRead?: number; bytesWritten?: number };

/** tunnel:closed once the socket closes: bytes after the handshakes, how long it was open, why. */
function watchClose(tunnel: TunnelInfo, socket: Counted, openMs: number): void {
  const readAtOpen = socket.bytesRead ?? 0;
  const writtenAtOpen = socket.bytesWritten ?? 0;
  const openedAt = performance.now();
  let ended = false;
  // No 'error' listener: one would change what an unhandled socket error does to the application.
  socket.once('end', () => {
    ended = true;
  });
  socket.once('close', () => {
    if (!channels.closed.hasSubscribers) return;
    const error = socket.errored ?? undefined;
    channels.closed.publish({
      tunnel,
      bytesUp: (socket.bytesWritten ?? 0) - writtenAtOpen,
      bytesDown: (socket.bytesRead ?? 0) - readAtOpen,
      durationMs: performance.now() - openedAt,
      openMs,
      // 'error': failed; 'end': the far side closed first; 'destroy': closed by this process.
      reason: error ? 'error' : ended ? 'end' : 'destroy',
      error,
    });
  });
}
