/**
 * TLS to an https:// proxy, over whatever the previous hop produced (gost's split: the
 * transport that reaches a proxy is separate from the protocol spoken over it). Nested
 * https hops simply wrap TLS in TLS.
 */
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { ChainError } from '../errors.js';
import type { Hop, HopTlsOptions } from '../url.js';

export function wrapTls(
  socket: Duplex,
  hop: Hop,
  index: number,
  defaults: HopTlsOptions,
  track: (socket: Duplex) => void,
  alpn?: string[],
): Promise<tls.TLSSocket> {
  const options = { ...defaults, ...hop.tls };
  const name = options.servername ?? hop.host;
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
      reject(tlsError(error, hop, index));
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

const NOT_TLS = new Set([
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ERR_SSL_HTTP_REQUEST',
]);

export function tlsError(error: NodeJS.ErrnoException, hop: Hop, index: number, what?: string): ChainError {
  const where = what ?? `hop ${index + 1} (${hop.url})`;
  const base = { hopIndex: index, hop: hop.url, phase: 'tls' as const, cause: error };
  const code = error.code ?? '';
  if (NOT_TLS.has(code)) {
    return new ChainError({
      ...base,
      code: 'PROTOCOL_ERROR',
      message: `${where} does not speak TLS on that port (${code}): is it http:// rather than https://?`,
    });
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || /socket disconnected/i.test(error.message)) {
    return new ChainError({
      ...base,
      code: 'TLS_FAILED',
      message: `${where} closed the connection during the TLS handshake (${code || error.message}): a firewall doing TLS inspection, or not a TLS port`,
    });
  }
  return new ChainError({
    ...base,
    code: 'TLS_FAILED',
    message: `TLS to ${where} failed: ${code ? `${code}: ` : ''}${error.message}. Certificate not trusted or wrong name: an intercepting firewall (DPI) or a missing CA (pass ca)`,
  });
}
