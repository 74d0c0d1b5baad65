/**
 * `serve --status HOST:PORT`: chain.stats() over HTTP, as JSON (`GET /status`) and in the
 * Prometheus text format (`GET /metrics`). The listener rules of `serve` apply: a
 * non-loopback address needs credentials (HTTP Basic, the listener's) or allowPublic, and
 * with credentials every request must carry them.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StatsSource } from '../chain/connector.js';
import type { ChainStats } from '../chain/stats.js';
import { formatHostPort } from '../hop.js';
import { fits, invalid, PORT, parseWhole } from '../validate.js';
import { credentialsMatch, type ListenerAuth } from './auth.js';
import { isLoopback } from './listen-url.js';

export interface StatusOptions {
  host: string;
  port: number;
  auth?: ListenerAuth | undefined;
  allowPublic?: boolean | undefined;
}

export interface StatusServer {
  /** `http://host:port` as bound (port 0 replaced). */
  url: string;
  close(): Promise<void>;
}

/** `HOST:PORT` (IPv6 in brackets) as given to --status. */
export function parseStatusAddress(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  // Port 0 picks a free one.
  const port = parseWhole(match?.[3]);
  if (!match || !fits(port, { ...PORT, min: 0 })) {
    throw invalid(`--status takes HOST:PORT (e.g. 127.0.0.1:9464), got ${JSON.stringify(text)}`);
  }
  return { host: (match[1] ?? match[2]) as string, port };
}

export async function serveStatus(chain: StatsSource, options: StatusOptions): Promise<StatusServer> {
  if (!isLoopback(options.host) && !options.auth && !options.allowPublic) {
    throw invalid(
      `refusing to serve status on ${formatHostPort(options.host, options.port)} without credentials: it is not a loopback address. Set listener credentials (--auth user:pass), or allow it explicitly (--allow-public)`,
    );
  }
  const server = http.createServer((req, res) => {
    if (options.auth && !authorized(req.headers.authorization, options.auth)) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="sockschain status"' }).end();
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/status') {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(`${JSON.stringify(chain.stats(), null, 2)}\n`);
    } else if (path === '/metrics') {
      res
        .writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
        .end(prometheusText(chain.stats()));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('try /status or /metrics\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${formatHostPort(options.host, port)}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function authorized(header: string | undefined, auth: ListenerAuth): boolean {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return false;
  const text = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return false;
  return credentialsMatch(auth, text.slice(0, colon), text.slice(colon + 1));
}

/** chain.stats() in the Prometheus text exposition format (0.0.4). */
export function prometheusText(stats: ChainStats): string {
  const lines: string[] = [];
  const family = (name: string, type: string, help: string) =>
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  const sample = (name: string, labels: Record<string, string>, value: number) => {
    const text = Object.entries(labels)
      .map(([key, v]) => `${key}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
      .join(',');
    lines.push(`${name}${text ? `{${text}}` : ''} ${value}`);
  };
  family('sockschain_tunnels_open', 'gauge', 'Tunnels open now');
  sample('sockschain_tunnels_open', {}, stats.open);
  family('sockschain_tunnels_opened_total', 'counter', 'Tunnels opened');
  sample('sockschain_tunnels_opened_total', {}, stats.opened);
  family('sockschain_tunnels_failed_total', 'counter', 'Tunnels that could not be opened, by error code');
  for (const [code, count] of Object.entries(stats.failures))
    sample('sockschain_tunnels_failed_total', { code }, count);
  family('sockschain_tunnel_bytes_total', 'counter', 'Bytes carried by tunnels after their handshakes');
  sample('sockschain_tunnel_bytes_total', { direction: 'up' }, stats.bytesUp);
  sample('sockschain_tunnel_bytes_total', { direction: 'down' }, stats.bytesDown);
  family('sockschain_hop_connected_total', 'counter', 'Attempts that got through a hop');
  for (const hop of stats.hops) sample('sockschain_hop_connected_total', { hop: hop.hop }, hop.connected);
  family('sockschain_hop_failures_total', 'counter', 'Attempts that failed at a hop, by error code');
  for (const hop of stats.hops) {
    for (const [code, count] of Object.entries(hop.failed))
      sample('sockschain_hop_failures_total', { hop: hop.hop, code }, count);
  }
  family('sockschain_hop_setup_seconds', 'histogram', 'Time a hop took to connect, do TLS and its handshake');
  for (const hop of stats.hops) {
    for (const bucket of hop.histogram) {
      sample(
        'sockschain_hop_setup_seconds_bucket',
        { hop: hop.hop, le: String(bucket.le / 1000) },
        bucket.count,
      );
    }
    sample('sockschain_hop_setup_seconds_bucket', { hop: hop.hop, le: '+Inf' }, hop.latencyMs.count);
    sample(
      'sockschain_hop_setup_seconds_sum',
      { hop: hop.hop },
      ((hop.latencyMs.mean ?? 0) * hop.latencyMs.count) / 1000,
    );
    sample('sockschain_hop_setup_seconds_count', { hop: hop.hop }, hop.latencyMs.count);
  }
  healthFamilies(stats, family, sample);
  return `${lines.join('\n')}\n`;
}

/**
 * Health checks (chains with `healthCheck` only): up/down, slow, and the check latency per
 * hop. A hop not checked yet has no sample: neither up nor down is known.
 */
function healthFamilies(
  stats: ChainStats,
  family: (name: string, type: string, help: string) => void,
  sample: (name: string, labels: Record<string, string>, value: number) => void,
): void {
  if (!stats.hops.some((hop) => hop.health)) return;
  const checked = stats.hops.filter((hop) => hop.health && hop.health.state !== 'unchecked');
  family('sockschain_hop_up', 'gauge', 'Health checks: 1 when the hop passes them, 0 when it is down');
  for (const hop of checked)
    sample('sockschain_hop_up', { hop: hop.hop }, hop.health?.state === 'down' ? 0 : 1);
  family(
    'sockschain_hop_slow',
    'gauge',
    "Health checks with prefer: 'latency': 1 when the hop is slower than the fastest up hop by more than toleranceMs",
  );
  for (const hop of checked)
    sample('sockschain_hop_slow', { hop: hop.hop }, hop.health?.state === 'slow' ? 1 : 0);
  family(
    'sockschain_hop_check_latency_seconds',
    'gauge',
    "Health checks: median duration of the hop's last passing checks",
  );
  for (const hop of stats.hops) {
    const ms = hop.health?.latencyMs;
    if (ms !== undefined) sample('sockschain_hop_check_latency_seconds', { hop: hop.hop }, ms / 1000);
  }
}
