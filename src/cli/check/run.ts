/**
 * Health-checks one proxy: a one-hop chain (after the --via hops, if any), one attempt.
 * Without --target the proxy is asked for a tunnel to its own address: any answer in its
 * protocol (even a refusal) proves it is alive, speaks what its URL says and took the
 * credentials; with --target only a tunnel that opens counts.
 */
import { Chain } from '../../chain/chain.js';
import type { TraceEntry } from '../../dial/dial.js';
import type { ChainErrorCode } from '../../errors.js';
import type { Hop, HopProtocol } from '../../hop.js';
import { formatTarget, type Target } from '../../target.js';
import { roundMs } from '../output/table.js';
import { type AuthState, buildReport, type ErrorReport } from '../probe/report.js';

export interface CheckResult {
  url: string;
  protocol: HopProtocol;
  status: 'ok' | 'failed';
  /** The proxy accepted a connection; null when a --via hop failed before it. */
  alive: boolean | null;
  /** It answered in the protocol its URL names. */
  protocolConfirmed: boolean | null;
  auth: AuthState | null;
  /** From the start to the tunnel (or the proxy's answer), through the --via hops. */
  latencyMs: number;
  tcpMs: number | null;
  tlsMs: number | null;
  handshakeMs: number | null;
  target: string | null;
  reachesTarget: boolean | null;
  error: ErrorReport | null;
}

/** Answers in the proxy's own protocol about the destination: it works, it just said no. */
const ANSWERS: ReadonlySet<ChainErrorCode> = new Set(['PROXY_DENIED', 'TARGET_UNREACHABLE', 'DNS_FAILED']);
const SPOKE: ReadonlySet<ChainErrorCode> = new Set([
  ...ANSWERS,
  'AUTH_REQUIRED',
  'AUTH_FAILED',
  'AUTH_UNSUPPORTED',
]);

export async function checkProxy(
  proxy: Hop,
  via: Chain | undefined,
  options: { target: Target | undefined; timeoutMs: number; ca: string[] | undefined },
): Promise<CheckResult> {
  const { target, timeoutMs, ca } = options;
  const index = via ? via.hops.length : 0;
  // Strict and without retries whatever the --via chain's options: one attempt, this path.
  const chain = new Chain([...(via?.hops ?? []), proxy], {
    timeoutMs,
    hopTimeoutMs: via?.options.hopTimeoutMs,
    dns: via?.options.dns,
    ...(ca ? { ca } : {}),
  });
  const dest = target ?? { host: proxy.host, port: proxy.port };
  const trace: TraceEntry[] = [];
  const began = performance.now();
  let failure: unknown;
  try {
    const socket = await chain.connect(dest, { trace });
    socket.destroy();
  } catch (error) {
    failure = error;
  }
  const report = buildReport(
    chain,
    { ...dest, text: formatTarget(dest) },
    trace,
    performance.now() - began,
    failure,
  );
  const hop = report.hops[index];
  const error = report.error;
  const atProxy = error !== null && (error.hopIndex === index || (error.hopIndex < 0 && !via));
  const viaFailed = error !== null && error.hopIndex >= 0 && error.hopIndex < index;
  const answered = atProxy && error !== null && ANSWERS.has(error.code) && error.phase !== 'tcp';
  const ok = error === null || (!target && answered);
  return {
    url: proxy.url,
    protocol: proxy.protocol,
    status: ok ? 'ok' : 'failed',
    alive: viaFailed ? null : !(atProxy && error?.phase === 'tcp'),
    protocolConfirmed: viaFailed
      ? null
      : error === null || (atProxy && SPOKE.has(error.code) && error.phase !== 'tcp'),
    auth: hop?.auth ?? null,
    latencyMs: roundMs(report.totalMs),
    tcpMs: hop?.tcpMs ?? null,
    tlsMs: hop?.tlsMs ?? null,
    handshakeMs: hop?.handshakeMs ?? null,
    target: target ? formatTarget(target) : null,
    reachesTarget: target ? error === null : null,
    error,
  };
}

/** Working proxies first, fastest first; the rest after, in the order given. */
export function byLatency(results: CheckResult[]): CheckResult[] {
  const ok = results.filter((r) => r.status === 'ok').sort((a, b) => a.latencyMs - b.latencyMs);
  return [...ok, ...results.filter((r) => r.status !== 'ok')];
}
