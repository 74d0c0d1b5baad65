/**
 * diagnostics_channel events (docs/operations.md): their shapes over a 2-hop chain with
 * credentials, no credential in any payload, nothing built without a subscriber; and the
 * two recipes of docs/operations.md (OpenTelemetry-style spans, a prom-client exporter
 * whose output a Prometheus text-format parser reads back).
 */
import diagnostics from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sockschainMetrics } from '../../../docs/operations/prometheus.js';
import { type Span, type Tracer, traceTunnels } from '../../../docs/operations/spans.js';
import { tunnelProbe } from '../../../src/chain/events.js';
import { CHANNELS, Chain, ChainError } from '../../../src/index.js';
import {
  closedPort,
  type Fixture,
  startEchoServer,
  startHttpProxy,
  startSocksServer,
} from '../../fixtures/index.js';
import { eventually, hopUrl, SECRET, USER } from '../../helpers.js';

let socks: Fixture;
let http: Fixture;
let banner: Fixture;
let chain: Chain;
const auth = { username: USER, password: SECRET };

beforeAll(async () => {
  [socks, http, banner] = await Promise.all([
    startSocksServer({ versions: [5], auth }),
    startHttpProxy({ auth }),
    startEchoServer(),
  ]);
  const creds = { user: USER, pass: SECRET };
  chain = new Chain([hopUrl('socks5', socks, creds), hopUrl('http', http, creds)], { timeoutMs: 5000 });
});

afterAll(async () => {
  await chain.close();
  await Promise.all([socks.close(), http.close(), banner.close()]);
});

/** Records every event on every channel until stop(). */
function record(): { events: Array<{ name: string; message: Record<string, unknown> }>; stop(): void } {
  const events: Array<{ name: string; message: Record<string, unknown> }> = [];
  const handlers = Object.values(CHANNELS).map((name) => {
    const handler = (message: unknown) => events.push({ name, message: message as Record<string, unknown> });
    diagnostics.subscribe(name, handler);
    return [name, handler] as const;
  });
  return {
    events,
    stop: () => {
      for (const [name, handler] of handlers) diagnostics.unsubscribe(name, handler);
    },
  };
}

/** Opens a tunnel to the echo server, sends `bytes`, reads them back, closes. */
async function exchange(bytes: number): Promise<void> {
  const socket = await chain.connect(`127.0.0.1:${banner.port}`);
  let echoed = 0;
  socket.on('data', (chunk: Buffer) => {
    echoed += chunk.length;
  });
  socket.write('x'.repeat(bytes));
  await eventually(() => echoed >= bytes);
  await new Promise<void>((resolve) => socket.end(() => resolve()));
  socket.destroy();
}

describe('diagnostics_channel events', () => {
  it('names its channels after undici conventions', () => {
    expect(CHANNELS).toEqual({
      start: 'sockschain:tunnel:start',
      hopConnected: 'sockschain:hop:connected',
      hopFailed: 'sockschain:hop:failed',
      established: 'sockschain:tunnel:established',
      failed: 'sockschain:tunnel:failed',
      closed: 'sockschain:tunnel:closed',
    });
  });

  it('a tunnel: start, each hop, established, closed with bytes; no credential anywhere', async () => {
    const recorder = record();
    try {
      await exchange(1000);
      await eventually(() => recorder.events.some((e) => e.name === CHANNELS.closed));
    } finally {
      recorder.stop();
    }
    const names = recorder.events.map((e) => e.name);
    expect(names).toEqual([
      CHANNELS.start,
      CHANNELS.hopConnected,
      CHANNELS.hopConnected,
      CHANNELS.established,
      CHANNELS.closed,
    ]);
    const [start, hop0, hop1, established, closed] = recorder.events.map((e) => e.message);
    const tunnel = start?.tunnel as { id: number; target: string; hops: string[] };
    expect(tunnel).toMatchObject({ target: `127.0.0.1:${banner.port}` });
    expect(tunnel.hops).toEqual([
      `socks5://${USER}:***@127.0.0.1:${socks.port}`,
      `http://${USER}:***@127.0.0.1:${http.port}`,
    ]);
    expect(hop0).toMatchObject({ tunnel, hopIndex: 0, hop: tunnel.hops[0] });
    expect(hop1).toMatchObject({ tunnel, hopIndex: 1, hop: tunnel.hops[1] });
    expect(hop0?.tcpMs).toBeGreaterThan(0);
    expect(hop1?.handshakeMs).toBeGreaterThan(0);
    expect(established).toMatchObject({ tunnel, hops: [0, 1] });
    expect(closed).toMatchObject({ tunnel, bytesUp: 1000, bytesDown: 1000 });
    expect(['end', 'destroy']).toContain(closed?.reason);
    const rendered = `${inspect(recorder.events, { depth: 8 })}${JSON.stringify(recorder.events.map((e) => ({ ...e.message, error: undefined })))}`;
    expect(rendered).not.toContain(SECRET);
    expect(rendered).not.toContain(encodeURIComponent(SECRET));
  });

  it('a failure: hop:failed at the hop blamed, tunnel:failed with the code', async () => {
    const recorder = record();
    const port = await closedPort();
    try {
      await expect(chain.connect(`127.0.0.1:${port}`)).rejects.toBeInstanceOf(ChainError);
    } finally {
      recorder.stop();
    }
    const names = recorder.events.map((e) => e.name);
    expect(names).toEqual([CHANNELS.start, CHANNELS.hopConnected, CHANNELS.hopFailed, CHANNELS.failed]);
    expect(recorder.events[2]?.message).toMatchObject({ hopIndex: 1, code: 'TARGET_UNREACHABLE' });
    expect(recorder.events[3]?.message).toMatchObject({ code: 'TARGET_UNREACHABLE', hopIndex: 1 });
  });

  it('builds nothing without a subscriber', () => {
    expect(Object.values(CHANNELS).some((name) => diagnostics.hasSubscribers(name))).toBe(false);
    expect(tunnelProbe(chain.hops, 'x:1')).toBeUndefined();
  });
});

describe('docs/operations.md recipes', () => {
  it.each(['prometheus.ts', 'spans.ts'])('shows operations/%s exactly as it is tested', (name) => {
    const markdown = readFileSync(new URL('../../../docs/operations.md', import.meta.url), 'utf8');
    const code = readFileSync(new URL(`../../../docs/operations/${name}`, import.meta.url), 'utf8');
    expect(markdown).toContain(
      `\`\`\`ts\n${code.replace("'../../src/index.js'", "'sockschain'").trimEnd()}\n\`\`\``,
    );
  });

  it('spans: one per tunnel, hop events, error status on failure', async () => {
    const spans: Array<{
      name: string;
      attributes: Record<string, unknown>;
      events: string[];
      status?: number;
      ended: boolean;
    }> = [];
    const tracer: Tracer = {
      startSpan(name, options) {
        const record = {
          name,
          attributes: { ...options?.attributes },
          events: [] as string[],
          ended: false,
        } as (typeof spans)[number];
        spans.push(record);
        const span: Span = {
          setAttribute: (key, value) => {
            record.attributes[key] = value;
          },
          addEvent: (event) => record.events.push(event),
          setStatus: ({ code }) => {
            record.status = code;
          },
          end: () => {
            record.ended = true;
          },
        };
        return span;
      },
    };
    const stop = traceTunnels(tracer);
    try {
      await exchange(10);
      await chain.connect(`127.0.0.1:${await closedPort()}`).catch(() => {});
      await eventually(() => spans.length === 2 && spans.every((s) => s.ended));
    } finally {
      stop();
    }
    expect(spans[0]).toMatchObject({
      events: ['hop connected', 'hop connected'],
      attributes: { 'sockschain.bytes_up': 10 },
    });
    expect(spans[0]?.status).toBeUndefined();
    expect(spans[1]).toMatchObject({
      events: ['hop connected', 'hop failed'],
      status: 2,
      attributes: { 'error.type': 'TARGET_UNREACHABLE' },
    });
  });

  it('prom-client: the exposition parses back with the counts of what happened', async () => {
    const metrics = sockschainMetrics();
    try {
      await exchange(100);
      await exchange(100);
      await chain.connect(`127.0.0.1:${await closedPort()}`).catch(() => {});
      await eventually(() => true);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const text = await metrics.registry.metrics();
      const families = parsePrometheusTextFormat(text) as Array<{
        name: string;
        type: string;
        metrics: Array<{
          value?: string;
          labels?: Record<string, string>;
          buckets?: Record<string, string>;
          count?: string;
        }>;
      }>;
      const family = (name: string) => families.find((f) => f.name === name);
      expect(family('sockschain_tunnels_opened_total')?.metrics[0]?.value).toBe('2');
      expect(family('sockschain_tunnels_open')?.metrics[0]?.value).toBe('0');
      expect(family('sockschain_tunnels_failed_total')?.metrics).toEqual([
        { value: '1', labels: { code: 'TARGET_UNREACHABLE' } },
      ]);
      expect(family('sockschain_hop_failures_total')?.metrics[0]?.labels).toMatchObject({
        code: 'TARGET_UNREACHABLE',
      });
      expect(family('sockschain_hop_setup_seconds')?.type).toBe('HISTOGRAM');
      // parse-prometheus-text-format 1.1 merges labelled histogram series when `le` comes first,
      // as prom-client writes it: the counts per hop are read from prom-client's own JSON.
      const [setup] = (await metrics.registry.getMetricsAsJSON()).filter(
        (m) => m.name === 'sockschain_hop_setup_seconds',
      );
      const counts = (setup?.values ?? [])
        .filter((v) => (v as { metricName?: string }).metricName === 'sockschain_hop_setup_seconds_count')
        .map((v) => [String(v.labels.hop).replace(/:\d+$/, ''), v.value]);
      expect(counts).toEqual([
        [`socks5://${USER}:***@127.0.0.1`, 3],
        [`http://${USER}:***@127.0.0.1`, 2],
      ]);
      const bytes = family('sockschain_tunnel_bytes_total')?.metrics.find(
        (m) => m.labels?.direction === 'up',
      );
      expect(bytes?.value).toBe('200');
      expect(text).not.toContain(encodeURIComponent(SECRET));
    } finally {
      metrics.stop();
    }
  });
});
