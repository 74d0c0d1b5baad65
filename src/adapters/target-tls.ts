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
  const verify = rest.rejectUnauthorized !== false;
  return new Promise((resolve, reject) => {
    // Verified after the handshake (see untrustedPeer): Node frees the peer's certificate
    // before it reports a rejection, and the error must name the issuer.
    const secure = tls.connect({
      ...rest,
      rejectUnauthorized: false,
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
      const untrusted = verify ? untrustedPeer(secure) : undefined;
      if (untrusted) return fail(untrusted);
      clearTimeout(timer);
      secure.off('error', fail);
      resolve(secure);
    };
    secure.once('error', fail);
    secure.once('secureConnect', onSecure);
  });
}

/** What Node's verification found wrong with a connected TLS socket, as an error that names the certificate. */
export function untrustedPeer(secure: tls.TLSSocket): Error | undefined {
  if (secure.authorized) return undefined;
  const code = String(secure.authorizationError ?? 'CERT_UNTRUSTED');
  const error = new Error(
    code === 'ERR_TLS_CERT_ALTNAME_INVALID'
      ? 'the certificate names another host'
      : 'the certificate is not trusted',
  ) as NodeJS.ErrnoException & {
    peer?: PeerSummary;
  };
  error.code = code;
  error.peer = summarize(secure.getPeerCertificate());
  return error;
}

interface PeerSummary {
  subject: string;
  issuer: string;
}

function summarize(cert: tls.PeerCertificate | undefined): PeerSummary | undefined {
  if (!cert?.raw) return undefined;
  return { subject: distinguishedName(cert.subject), issuer: distinguishedName(cert.issuer) };
}

function distinguishedName(name: tls.Certificate | undefined): string {
  if (!name) return '';
  return Object.entries(name)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : String(value)}`)
    .join(', ');
}

/** A TLS failure with the target, named as such (the tunnel itself worked). */
export function targetTlsError(error: Error, target: Target): ChainError {
  const code = (error as NodeJS.ErrnoException).code;
  const peer = (error as { peer?: PeerSummary }).peer;
  const where = `the target ${formatTarget(target)}`;
  const advice = peer
    ? `: its certificate (${peer.subject || 'no subject'}) was issued by "${peer.issuer || 'unknown'}". If that is not the site's own CA, something between the last hop and the target (a TLS-inspecting firewall or antivirus, or a proxy of the chain) may be re-signing the connection; if you trust that issuer, pass its CA as targetTls.ca (or the adapter's ca)`
    : `. The certificate is checked against the target's name; pass the target's CA as targetTls.ca (or the adapter's ca), or check the URL's host`;
  return new ChainError({
    code: 'TLS_FAILED',
    phase: 'tls',
    target: formatTarget(target),
    message: `TLS to ${where} failed (through the tunnel): ${code ? `${code}: ` : ''}${error.message}${advice}`,
    cause: error,
  });
}
