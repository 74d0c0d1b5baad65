/**
 * chain.stats() and the status endpoint of `serve --status`: counters and per-hop latency
 * after real tunnels through fixture proxies, JSON at /status, the Prometheus text format at
 * /metrics read back by a Prometheus text parser and promtool, listener credentials enforced,
 * and the health-check gauges of a chain whose hops are checked (one up, one down).
 */
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chain, type ChainStats } from '../../../src/index.js';
import { prometheusText, serveStatus } from '../../../src/server/status.js';
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
let echo: Fixture;
let chain: Chain;

beforeAll(async () => {
  const auth = { username: USER, password: SECRET };
  [socks, http, echo] = await Promise.all([
    startSocksServer({ versions: [5], auth }),
    startHttpProxy({ auth }),
    startEchoServer(),
  ]);
  const creds = { user: USER, pass: SECRET };
  chain = new Chain([hopUrl('socks5', socks, creds), hopUrl('http', http, creds)], { timeoutMs: 5000 });
  // Three tunnels that carry 100 bytes each way, one left open, and one failure at hop 2.
  for (let i = 0; i < 3; i++) {
    const socket = await chain.connect(`127.0.0.1:${echo.port}`);
    let got = 0;
    socket.on('data', (chunk: Buffer) => {
      got += chunk.length;
    });
    socket.write('y'.repeat(100));
    await eventually(() => got === 100);
    if (i < 2) socket.destroy();
  }
  await chain.connect(`127.0.0.1:${await closedPort()}`).catch(() => {});
  await eventually(() => chain.stats().open === 1);
});

afterAll(async () => {
  await chain.close();
  await Promise.all([socks, http, echo].map((f) => f.close()));
});

describe('chain.stats()', () => {
  it('counts tunnels, failures by code, bytes, and per-hop latency', () => {
    const stats = chain.stats();
    expect(stats).toMatchObject({
      open: 1,
      opened: 3,
      failed: 1,
      failures: { TARGET_UNREACHABLE: 1 },
      bytesUp: 300,
      bytesDown: 300,
    });
    const [first, second] = stats.hops;
    expect(first).toMatchObject({
      hop: `socks5://${USER}:***@127.0.0.1:${socks.port}`,
      connected: 4,
      failed: {},
    });
    expect(second).toMatchObject({ connected: 3, failed: { TARGET_UNREACHABLE: 1 } });
    const latency = first?.latencyMs;
    expect(latency?.count).toBe(4);
    expect(latency?.p50).toBeGreaterThan(0);
    expect(latency?.p50).toBeLessThanOrEqual(latency?.p99 as number);
    expect(latency?.p99).toBeLessThanOrEqual(latency?.max as number);
    expect(first?.histogram.at(-1)?.count).toBe(4);
    expect(JSON.stringify(stats)).not.toContain(encodeURIComponent(SECRET));
  });
});

/** `promtool check metrics` (Debian package prometheus): exit status and what it printed. */
function promtoolCheck(text: string): { status: number | null; output: string } {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (result.error)
    throw new Error(`promtool not found: scripts/testbed/install.sh installs it (${result.error.message})`);
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

type Family = {
  name: string;
  type: string;
  metrics: Array<{
    value?: string;
    labels?: Record<string, string>;
    buckets?: Record<string, string>;
    count?: string;
    sum?: string;
  }>;
};

describe('the status endpoint', () => {
  const auth = { username: 'ops', password: 'watch' };
  const basic = `Basic ${Buffer.from('ops:watch').toString('base64')}`;

  it('answers JSON and Prometheus text, behind the listener credentials', async () => {
    const status = await serveStatus(chain, { host: '127.0.0.1', port: 0, auth });
    try {
      expect((await fetch(`${status.url}/metrics`)).status).toBe(401);
      const wrong = `Basic ${Buffer.from('ops:nope').toString('base64')}`;
      expect((await fetch(`${status.url}/status`, { headers: { authorization: wrong } })).status).toBe(401);
      const json = (await (
        await fetch(`${status.url}/status`, { headers: { authorization: basic } })
      ).json()) as ChainStats;
      expect(json).toMatchObject({ opened: 3, open: 1, failures: { TARGET_UNREACHABLE: 1 } });
      const response = await fetch(`${status.url}/metrics`, { headers: { authorization: basic } });
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      const families = parsePrometheusTextFormat(text) as Family[];
      const family = (name: string) => families.find((f) => f.name === name);
      expect(family('sockschain_tunnels_open')).toMatchObject({ type: 'GAUGE', metrics: [{ value: '1' }] });
      expect(family('sockschain_tunnels_opened_total')?.metrics[0]?.value).toBe('3');
      expect(family('sockschain_tunnels_failed_total')?.metrics).toEqual([
        { value: '1', labels: { code: 'TARGET_UNREACHABLE' } },
      ]);
      expect(family('sockschain_tunnel_bytes_total')?.metrics).toEqual([
        { value: '300', labels: { direction: 'up' } },
        { value: '300', labels: { direction: 'down' } },
      ]);
      expect(family('sockschain_hop_setup_seconds')?.type).toBe('HISTOGRAM');
      // parse-prometheus-text-format 1.1 merges the series of a labelled histogram: the
      // whole exposition goes through Prometheus' own parser and linter (promtool) too.
      expect(promtoolCheck(text)).toEqual({ status: 0, output: '' });
      const hop1 = `socks5://${USER}:***@127.0.0.1:${socks.port}`;
      const hop2 = `http://${USER}:***@127.0.0.1:${http.port}`;
      expect(text).toContain(`sockschain_hop_setup_seconds_count{hop="${hop1}"} 4\n`);
      expect(text).toContain(`sockschain_hop_setup_seconds_bucket{hop="${hop1}",le="+Inf"} 4\n`);
      expect(text).toContain(`sockschain_hop_setup_seconds_count{hop="${hop2}"} 3\n`);
      expect(text).not.toContain(encodeURIComponent(SECRET));
      // No health checks on this chain: no health gauges.
      expect(text).not.toContain('sockschain_hop_up');
    } finally {
      await status.close();
    }
  });

  it('refuses a non-loopback address without credentials', async () => {
    await expect(serveStatus(chain, { host: '0.0.0.0', port: 0 })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
  });

  it('is not left listening after close()', async () => {
    const status = await serveStatus(chain, { host: '127.0.0.1', port: 0 });
    const port = Number(new URL(status.url).port);
    await status.close();
    await expect(
      new Promise((resolve, reject) =>
        net.connect(port, '127.0.0.1', () => resolve(true)).on('error', reject),
      ),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('health checks in /metrics', () => {
  const hop = (url: string, health?: NonNullable<ChainStats['hops'][number]['health']>) => ({
    hop: url,
    connected: 0,
    failed: {},
    latencyMs: { count: 0 },
    histogram: [],
    ...(health ? { health } : {}),
  });

  it('up, slow and check latency per hop; an unchecked hop has no sample', () => {
    const stats: ChainStats = {
      open: 0,
      opened: 0,
      failed: 0,
      failures: {},
      bytesUp: 0,
      bytesDown: 0,
      hops: [
        hop('socks5://a:1080', { state: 'up', latencyMs: 12.5 }),
        hop('socks5://b:1080', { state: 'slow', latencyMs: 250 }),
        hop('socks5://c:1080', { state: 'down' }),
        hop('socks5://d:1080', { state: 'unchecked' }),
      ],
    };
    const text = prometheusText(stats);
    expect(promtoolCheck(text)).toEqual({ status: 0, output: '' });
    const families = parsePrometheusTextFormat(text) as Family[];
    const values = (name: string) => {
      const family = families.find((f) => f.name === name);
      expect(family?.type).toBe('GAUGE');
      return Object.fromEntries((family?.metrics ?? []).map((m) => [m.labels?.hop, Number(m.value)]));
    };
    expect(values('sockschain_hop_up')).toEqual({
      'socks5://a:1080': 1,
      'socks5://b:1080': 1,
      'socks5://c:1080': 0,
    });
    expect(values('sockschain_hop_slow')).toEqual({
      'socks5://a:1080': 0,
      'socks5://b:1080': 1,
      'socks5://c:1080': 0,
    });
    expect(values('sockschain_hop_check_latency_seconds')).toEqual({
      'socks5://a:1080': 0.0125,
      'socks5://b:1080': 0.25,
    });
  });

  it('a checked chain, one hop up and one down: /status and /metrics agree', async () => {
    const dead = `socks5://127.0.0.1:${await closedPort()}`;
    const live = hopUrl('socks5', socks, { user: USER, pass: SECRET });
    const checked = new Chain([live, dead], {
      mode: 'dynamic',
      timeoutMs: 2000,
      healthCheck: { target: `127.0.0.1:${echo.port}`, intervalMs: 60_000, timeoutMs: 1000 },
    });
    const status = await serveStatus(checked, { host: '127.0.0.1', port: 0 });
    try {
      await eventually(() => checked.stats().hops.every((h) => h.health?.state !== 'unchecked'));
      const json = (await (await fetch(`${status.url}/status`)).json()) as ChainStats;
      expect(json.hops.map((h) => h.health?.state)).toEqual(['up', 'down']);
      expect(json.hops[0]?.health?.latencyMs).toBeGreaterThan(0);
      const text = await (await fetch(`${status.url}/metrics`)).text();
      expect(promtoolCheck(text)).toEqual({ status: 0, output: '' });
      const redacted = `socks5://${USER}:***@127.0.0.1:${socks.port}`;
      expect(text).toContain(`sockschain_hop_up{hop="${redacted}"} 1\n`);
      expect(text).toContain(`sockschain_hop_up{hop="${dead}"} 0\n`);
      const latency = text
        .split('\n')
        .find((line) => line.startsWith(`sockschain_hop_check_latency_seconds{hop="${redacted}"} `));
      expect(Number(latency?.split(' ').at(-1))).toBeGreaterThan(0);
      expect(text).not.toContain(`sockschain_hop_check_latency_seconds{hop="${dead}"}`);
      expect(text).not.toContain(encodeURIComponent(SECRET));
    } finally {
      await status.close();
      await checked.close();
    }
  });
});
