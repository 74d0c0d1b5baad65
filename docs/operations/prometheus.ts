import diagnostics from 'node:diagnostics_channel';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { CHANNELS } from '../../src/index.js';

/** Prometheus metrics built on sockschain's diagnostics_channel events. */
export function sockschainMetrics(registry = new Registry()): { registry: Registry; stop(): void } {
  const registers = [registry];
  const opened = new Counter({ name: 'sockschain_tunnels_opened_total', help: 'Tunnels opened', registers });
  const open = new Gauge({ name: 'sockschain_tunnels_open', help: 'Tunnels open now', registers });
  const failed = new Counter({
    name: 'sockschain_tunnels_failed_total',
    help: 'Tunnels that could not be opened, by error code',
    labelNames: ['code'],
    registers,
  });
  const hopFailed = new Counter({
    name: 'sockschain_hop_failures_total',
    help: 'Attempts that failed at a hop, by hop and error code',
    labelNames: ['hop', 'code'],
    registers,
  });
  const hopSetup = new Histogram({
    name: 'sockschain_hop_setup_seconds',
    help: 'Time a hop took to connect, do TLS and its handshake',
    labelNames: ['hop'],
    buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10],
    registers,
  });
  const bytes = new Counter({
    name: 'sockschain_tunnel_bytes_total',
    help: 'Bytes carried by closed tunnels',
    labelNames: ['direction'],
    registers,
  });
  // Hop URLs in events are redacted (no password); they make fine label values.
  const handlers: Record<string, (message: unknown) => void> = {
    [CHANNELS.established]: () => {
      opened.inc();
      open.inc();
    },
    [CHANNELS.failed]: (m) => failed.inc({ code: (m as { code?: string }).code ?? 'unknown' }),
    [CHANNELS.hopConnected]: (m) => {
      const { hop, durationMs } = m as { hop: string; durationMs: number };
      hopSetup.observe({ hop }, durationMs / 1000);
    },
    [CHANNELS.hopFailed]: (m) => {
      const { hop, code } = m as { hop: string; code?: string };
      hopFailed.inc({ hop, code: code ?? 'unknown' });
    },
    [CHANNELS.closed]: (m) => {
      const { bytesUp, bytesDown } = m as { bytesUp: number; bytesDown: number };
      open.dec();
      bytes.inc({ direction: 'up' }, bytesUp);
      bytes.inc({ direction: 'down' }, bytesDown);
    },
  };
  for (const [name, handler] of Object.entries(handlers)) diagnostics.subscribe(name, handler);
  return {
    registry,
    stop: () => {
      for (const [name, handler] of Object.entries(handlers)) diagnostics.unsubscribe(name, handler);
    },
  };
}
