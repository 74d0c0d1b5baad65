/**
 * One record per tunnel (a SOCKS connection, an HTTP CONNECT, or one forwarded HTTP
 * request), and its one-line rendering for the serve log. Errors are ChainErrors, whose
 * hop URLs are redacted, and client credentials are never recorded.
 */
import type { TraceEntry } from '../dial/dial.js';
import type { ChainError, ChainErrorCode } from '../errors.js';

export type ClientProtocol = 'socks5' | 'socks4' | 'socks4a' | 'http-connect' | 'http';

/** Failures on the client's side of the listener, before any tunnel was tried. */
export type ListenerFailure =
  | 'LISTENER_AUTH'
  | 'BAD_REQUEST'
  | 'CLIENT_TIMEOUT'
  | 'CLIENT_CLOSED'
  | 'TOO_MANY_CONNECTIONS';

export interface ConnectionRecord {
  /** When the client connected (for forwarded HTTP: when the request arrived). */
  time: Date;
  /** The client's address, `ip:port`. */
  client: string;
  protocol: ClientProtocol | undefined;
  /** `host:port` the client asked for; undefined when it never got that far. */
  target: string | undefined;
  /** How the listener reaches targets, e.g. `2 hops` or `direct`. */
  route: string;
  result: 'ok' | ChainErrorCode | ListenerFailure;
  /** The chain's failure, for results that are ChainError codes. */
  error: ChainError | undefined;
  /** Why the listener refused the client, for listener failures. */
  detail: string | undefined;
  /** Payload bytes from the client to the target, and back. */
  bytesUp: number;
  bytesDown: number;
  durationMs: number;
  /** Per-hop timings of opening the tunnel. */
  trace: TraceEntry[];
}

export interface FormatOptions {
  verbose?: boolean;
  color?: boolean;
}

/** `2026-11-21T09:30:00Z 127.0.0.1:53422 socks5 -> example.com:443 via 2 hops: ok up=512B down=20KiB 143ms` */
export function formatRecord(record: ConnectionRecord, options: FormatOptions = {}): string {
  const paint = (code: number, text: string) => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const time = record.time.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const who = `${record.client}${record.protocol ? ` ${record.protocol}` : ''}`;
  const where = record.target === undefined ? '' : ` -> ${record.target}`;
  const head = `${time} ${who}${where}`;
  const ms = formatDuration(record.durationMs);
  if (record.result === 'ok') {
    const trace = options.verbose && record.trace.length > 0 ? ` [${formatTrace(record.trace)}]` : '';
    const bytes = `up=${formatBytes(record.bytesUp)} down=${formatBytes(record.bytesDown)}`;
    return `${head} via ${record.route}: ${paint(32, 'ok')} ${bytes} ${ms}${trace}`;
  }
  const { error } = record;
  if (error) {
    // Verbose lines carry the message, which names the hop itself: say it once.
    const at =
      error.hopIndex >= 0 && error.hop && !options.verbose
        ? ` at hop ${error.hopIndex + 1} (${error.hop})`
        : '';
    const more = options.verbose
      ? `: ${error.message}${record.trace.length > 0 ? ` [${formatTrace(record.trace)}]` : ''}`
      : '';
    return `${head} via ${record.route}: ${paint(31, error.code)}${at} ${ms}${more}`;
  }
  return `${head}: ${paint(33, record.result)}${record.detail ? ` (${record.detail})` : ''} ${ms}`;
}

/** `hop1 tcp 0.4ms, hop1 handshake 1.2ms, hop2 handshake 0.8ms` */
export function formatTrace(trace: readonly TraceEntry[]): string {
  return trace.map((entry) => `hop${entry.hopIndex + 1} ${entry.phase} ${entry.ms.toFixed(1)}ms`).join(', ');
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = unit === 0 || value >= 10 ? String(Math.round(value)) : value.toFixed(1);
  return `${text}${units[unit]}`;
}

export function formatDuration(ms: number): string {
  return ms < 10_000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`;
}
