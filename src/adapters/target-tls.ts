/**
 * TLS to the target, over a tunnel the chain opened. The certificate is checked against the
 * TARGET's name (SNI included), never against a proxy's: the proxies only carry bytes.
 */
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { ChainError } from '../errors.js';
import { formatTarget, type Target } from '../target.js';

/**
 * Runs the TLS handshake over `tunnel`. `options` are the request's TLS options (ca,
 * rejectUnauthorized, servername, cert, key...); host/port/path describe the target and are
 * not connection options here. Rejects with a ChainError and destroys the tunnel on failure.
 */
export function connectTargetTls(
  tunnel: Duplex,
  target: Target,
  options: tls.ConnectionOptions,
  timeoutMs: number,
): Promise<tls.TLSSocket> {
  const {
    host: _host,
    port: _port,
    path: _path,
    servername,
    ...rest
  } = options as tls.ConnectionOptions & {
    path?: unknown;
  };
  // SNI must be a host name, never an IP literal (RFC 6066); an IP target is checked by its IP SAN.
  const name = servername || target.host;
  return new Promise((resolve, reject) => {
    const secure = tls.connect({
      ...rest,
      socket: tunnel,
      host: target.host,
      servername: isIP(name) ? undefined : name,
    });
    const timer = setTimeout(() => {
      fail(
        new ChainError({
          code: 'TLS_FAILED',
          phase: 'tls',
          target: formatTarget(target),
          message: `the target ${formatTarget(target)} did not complete the TLS handshake within ${timeoutMs} ms`,
        }),
      );
    }, timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      secure.off('secureConnect', onSecure);
      // A later error on the dead socket must not crash the process.
      secure.on('error', () => {});
      secure.destroy();
      tunnel.destroy();
      reject(error instanceof ChainError ? error : targetTlsError(error, target));
    };
    const onSecure = () => {
      clearTimeout(timer);
      secure.off('error', fail);
      resolve(secure);
    };
    secure.once('error', fail);
    secure.once('secureConnect', onSecure);
  });
}

/** A TLS failure with the target, named as such (the tunnel itself worked). */
export function targetTlsError(error: Error, target: Target): ChainError {
  const code = (error as NodeJS.ErrnoException).code;
  const where = `the target ${formatTarget(target)}`;
  return new ChainError({
    code: 'TLS_FAILED',
    phase: 'tls',
    target: formatTarget(target),
    message: `TLS to ${where} failed (through the tunnel): ${code ? `${code}: ` : ''}${error.message}. The certificate is checked against the target's name; pass the target's CA as ca, or check the URL's host`,
    cause: error,
  });
}
