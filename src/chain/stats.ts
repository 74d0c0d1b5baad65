/**
 * chain.stats(): counters and per-hop latency for dashboards and `serve --status`. Always
 * on (a few additions per tunnel); diagnostics_channel events are the opt-in, detailed feed.
 * Latency goes into a small log-scale histogram written here rather than a library:
 * hdr-histogram-js brings WebAssembly and 100+ KiB for what 64 counters per hop do within
 * ~9% (four buckets per doubling, 50 µs to ~15 min).
 */
import type { Duplex } from 'node:stream';
import type { TraceEntry } from '../dial/types.js';
import { ChainError } from '../errors.js';
import type { Hop } from '../hop.js';
import type { HopHealth } from './health.js';

const BUCKETS = 96;
const PER_DOUBLING = 4;
const MIN_MS = 0.05;

/** Bucket upper bounds in ms (the last one catches everything above). */
export const BUCKET_BOUNDS_MS: readonly number[] = Array.from(
  { length: BUCKETS },
  (_, i) => MIN_MS * 2 ** ((i + 1) / PER_DOUBLING),
);

class Histogram {
  readonly counts = new Array<number>(BUCKETS).fill(0);
  count = 0;
  sum = 0;
  max = 0;

  record(ms: number): void {
    const index = ms <= MIN_MS ? 0 : Math.min(BUCKETS - 1, Math.floor(Math.log2(ms / MIN_MS) * PER_DOUBLING));
    this.counts[index] = (this.counts[index] ?? 0) + 1;
    this.count++;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
  }

  /** The upper bound of the bucket holding quantile `q` (never above the largest value seen). */
  quantile(q: number): number | undefined {
    if (this.count === 0) return undefined;
    const rank = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(BUCKET_BOUNDS_MS[i] as number, this.max);
    }
    return this.max;
  }
}

export interface HopStats {
  /** The hop's URL, redacted. */
  hop: string;
  /** Attempts that got through this hop (TCP, TLS and its handshake done). */
  connected: number;
  /** Attempts that failed at this hop, by ChainError code. */
  failed: Record<string, number>;
  /** Setup time of this hop (TCP + TLS + handshake), in ms. */
  latencyMs: { count: number; mean?: number; p50?: number; p90?: number; p99?: number; max?: number };
  /** The histogram behind latencyMs: cumulative counts at BUCKET_BOUNDS_MS (non-empty buckets only). */
  histogram: Array<{ le: number; count: number }>;
  /** With health checks: the hop's state and its check latency (median of the last checks, ms). */
  health?: HopHealth;
}

export interface ChainStats {
  /** Tunnels open now. */
  open: number;
  /** Tunnels opened since the chain was made. */
  opened: number;
  /** Tunnels that could not be opened, in total and by ChainError code. */
  failed: number;
  failures: Record<string, number>;
  /** Bytes carried by tunnels once open (closed and open ones), from the application's side. */
  bytesUp: number;
  bytesDown: number;
  hops: HopStats[];
}

type Counted = Duplex & { bytesRead?: number; bytesWritten?: number };

export class StatsRecorder {
  readonly #hops: readonly Hop[];
  readonly #latency: Histogram[];
  readonly #connected: number[];
  readonly #hopFailures: Array<Record<string, number>>;
  readonly #failures: Record<string, number> = {};
  /** Open tunnels, with their byte counts when they opened (handshake bytes are not the application's). */
  readonly #live = new Map<Counted, readonly [number, number]>();
  #opened = 0;
  #failed = 0;
  #bytesUp = 0;
  #bytesDown = 0;

  constructor(hops: readonly Hop[]) {
    this.#hops = hops;
    this.#latency = hops.map(() => new Histogram());
    this.#connected = hops.map(() => 0);
    this.#hopFailures = hops.map(() => ({}));
  }

  attempt(positions: readonly number[], trace: readonly TraceEntry[], error: ChainError | undefined): void {
    const failedAt = error && error.hopIndex >= 0 ? error.hopIndex : undefined;
    for (const position of positions) {
      if (position === failedAt) {
        const failures = this.#hopFailures[position] as Record<string, number>;
        failures[error?.code ?? 'UNKNOWN'] = (failures[error?.code ?? 'UNKNOWN'] ?? 0) + 1;
        return;
      }
      const entries = trace.filter((entry) => entry.hopIndex === position);
      if (entries.length === 0) return;
      this.#connected[position] = (this.#connected[position] ?? 0) + 1;
      this.#latency[position]?.record(entries.reduce((sum, entry) => sum + entry.ms, 0));
    }
  }

  established(socket: Counted): void {
    this.#opened++;
    const read = socket.bytesRead ?? 0;
    const written = socket.bytesWritten ?? 0;
    this.#live.set(socket, [read, written]);
    socket.once('close', () => {
      this.#live.delete(socket);
      this.#bytesDown += (socket.bytesRead ?? 0) - read;
      this.#bytesUp += (socket.bytesWritten ?? 0) - written;
    });
  }

  failed(error: unknown): void {
    this.#failed++;
    const code = error instanceof ChainError ? error.code : 'UNKNOWN';
    this.#failures[code] = (this.#failures[code] ?? 0) + 1;
  }

  /** `health`: the chain's health checker, when it has one. */
  snapshot(health?: { hopHealth(position: number): HopHealth }): ChainStats {
    let bytesUp = this.#bytesUp;
    let bytesDown = this.#bytesDown;
    for (const [socket, [read, written]] of this.#live) {
      bytesDown += (socket.bytesRead ?? 0) - read;
      bytesUp += (socket.bytesWritten ?? 0) - written;
    }
    return {
      open: this.#live.size,
      opened: this.#opened,
      failed: this.#failed,
      failures: { ...this.#failures },
      bytesUp,
      bytesDown,
      hops: this.#hops.map((hop, index) => {
        const stats = hopStats(
          hop,
          this.#connected[index] ?? 0,
          this.#hopFailures[index] ?? {},
          this.#latency[index] as Histogram,
        );
        if (health) stats.health = health.hopHealth(index);
        return stats;
      }),
    };
  }
}

function hopStats(hop: Hop, connected: number, failed: Record<string, number>, latency: Histogram): HopStats {
  const histogram: HopStats['histogram'] = [];
  let cumulative = 0;
  latency.counts.forEach((count, i) => {
    cumulative += count;
    if (count > 0) histogram.push({ le: BUCKET_BOUNDS_MS[i] as number, count: cumulative });
  });
  return {
    hop: hop.url,
    connected,
    failed: { ...failed },
    latencyMs:
      latency.count === 0
        ? { count: 0 }
        : {
            count: latency.count,
            mean: latency.sum / latency.count,
            p50: latency.quantile(0.5),
            p90: latency.quantile(0.9),
            p99: latency.quantile(0.99),
            max: latency.max,
          },
    histogram,
  };
}
