/**
 * TLS to an https:// proxy, over whatever the previous hop produced (gost's split: the
 * transport that reaches a proxy is separate from the protocol spoken over it). Nested
 * https hops simply wrap TLS in TLS.
 */
import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { ChainError } from '../errors.js';
import type { Hop, HopTlsOptions } from '../hop.js';
import type { HopProgress } from './context.js';

export function wrapTls(
  socket: Duplex,
  hop: Hop,
  index: number,
  defaults: HopTlsOptions,
  track: (socket: Duplex) => void,
  progress?: (read: () => HopProgress) => void,
  label = index + 1,
  alpn?: string[],
): Promise<tls.TLSSocket> {
  const options = { ...defaults, ...hop.tls };
  const name = options.servername ?? hop.host;
  const answered = answerWatch(socket);
  progress?.(() => ({ phase: 'tls', awaitingDest: false, stage: 'tls', replyStarted: answered() }));
  return new Promise((resolve, reject) => {
    const secure = tls.connect({
      socket,
      host: hop.host,
      // SNI must be a host name, never an IP literal (RFC 6066).
      servername: isIP(name) ? undefined : name,
      ca: options.ca,
      cert: options.cert,
      key: options.key,
      rejectUnauthorized: options.rejectUnauthorized ?? true,
      checkServerIdentity: (_host, cert) => tls.checkServerIdentity(name, cert),
      // Offered only for hops with `http2` (h2-sessions.ts); none otherwise, as before.
      ...(alpn ? { ALPNProtocols: alpn } : {}),
    });
    track(secure);
    const onError = (error: NodeJS.ErrnoException) => {
      secure.off('secureConnect', onSecure);
      reject(tlsError(error, hop, index, `hop ${label} (${hop.url})`, answered()));
    };
    const onSecure = () => {
      secure.off('error', onError);
      secure.setNoDelay?.(true);
      resolve(secure);
    };
    secure.once('error', onError);
    secure.once('secureConnect', onSecure);
  });
}

/**
 * Whether the peer has sent a byte since now: a ClientHello that got no answer at all (a
 * firewall dropped or reset it) is another fault than a handshake that failed midway.
 * `bytesRead` exists on sockets (TCP, TLS); on other Duplexes we cannot tell.
 */
function answerWatch(socket: Duplex): () => boolean {
  const before = (socket as Partial<Socket>).bytesRead;
  return () => {
    const now = (socket as Partial<Socket>).bytesRead;
    return typeof before === 'number' && typeof now === 'number' && now > before;
  };
}

const NOT_TLS = new Set([
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ERR_SSL_HTTP_REQUEST',
]);

export function tlsError(
  error: NodeJS.ErrnoException,
  hop: Hop,
  index: number,
  what?: string,
  replyStarted = true,
): ChainError {
  const where = what ?? `hop ${index + 1} (${hop.url})`;
  const base = { hopIndex: index, hop: hop.url, phase: 'tls' as const, stage: 'tls' as const, cause: error };
  const code = error.code ?? '';
  if (NOT_TLS.has(code)) {
    return new ChainError({
      ...base,
      code: 'PROTOCOL_ERROR',
      replyStarted: true,
      reason: 'wrong-protocol',
      message: `${where} does not speak TLS on that port (${code}): is it http:// rather than https://?`,
    });
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    // Node reports a close (FIN) before the handshake ends as ECONNRESET without a syscall;
    // a real reset comes from the read.
    const reason = error.syscall === undefined ? 'closed' : 'reset';
    const how = reason === 'reset' ? 'reset the connection' : 'closed the connection';
    const when = replyStarted ? 'during the TLS handshake' : 'after the TLS ClientHello, before any answer';
    return new ChainError({
      ...base,
      code: 'TLS_FAILED',
      replyStarted,
      reason,
      message: `${where} ${how} ${when} (${code}): a firewall blocking or inspecting TLS, or not a TLS port`,
    });
  }
  return new ChainError({
    ...base,
    replyStarted: true,
    code: 'TLS_FAILED',
    message: `TLS to ${where} failed: ${code ? `${code}: ` : ''}${error.message}. Certificate not trusted or wrong name: an intercepting firewall (DPI) or a missing CA (pass ca)`,
  });
}
