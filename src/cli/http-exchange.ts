/**
 * One HTTP exchange over a tunnel the chain opened: TLS to the target for https (verified
 * here, after the handshake, so that probe can still report a certificate it does not
 * trust), then node:http over that stream. Shared by `fetch` and `probe --app-check`.
 */
import http from 'node:http';
import { isIP, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import tls from 'node:tls';
import type { AfterTunnel } from '../remedies.js';
import type { Target } from '../target.js';

export interface PeerCertificate {
  /** The chain verified against the trusted CAs. */
  authorized: boolean;
  /** Why not, e.g. `SELF_SIGNED_CERT_IN_CHAIN`; null when authorized. */
  authorizationError: string | null;
  /** The certificate names the host we asked for. */
  hostnameMatch: boolean;
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  fingerprint256: string;
}

export interface TargetTls {
  ca?: string[] | undefined;
}

/** Thrown when the target's certificate fails verification; carries what was seen. */
export class TargetTlsError extends Error {
  override name = 'TargetTlsError';
  constructor(
    message: string,
    readonly peer: PeerCertificate | null,
    /** What failed, as a typed fact for the hint (never read back from the message). */
    readonly kind: Exclude<AfterTunnel, 'no-http'>,
  ) {
    super(message);
  }
}

/** TLS over the tunnel, with SNI; resolves even for an untrusted certificate (see `verified`). */
export function startTls(
  socket: Socket,
  target: Target,
  options: TargetTls,
  timeoutMs: number,
): Promise<{ stream: tls.TLSSocket; peer: PeerCertificate }> {
  return new Promise((resolve, reject) => {
    const secure = tls.connect({
      socket,
      // SNI must be a host name, never an IP literal (RFC 6066).
      servername: isIP(target.host) ? undefined : target.host,
      ca: options.ca,
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
    });
    const timer = setTimeout(
      () => fail(new Error(`no TLS handshake from the target within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const fail = (error: Error) => {
      clearTimeout(timer);
      secure.destroy();
      reject(
        new TargetTlsError(
          `TLS to the target failed: ${(error as NodeJS.ErrnoException).code ?? error.message}`,
          null,
          'tls-failed',
        ),
      );
    };
    secure.once('error', fail);
    secure.once('secureConnect', () => {
      clearTimeout(timer);
      secure.off('error', fail);
      resolve({ stream: secure, peer: describePeer(secure, target.host) });
    });
  });
}

/** Throws TargetTlsError unless the certificate is trusted and names the host. */
export function verified(peer: PeerCertificate, host: string): void {
  if (!peer.authorized) {
    throw new TargetTlsError(
      `the certificate of ${host} is not trusted (${peer.authorizationError}); issuer: ${peer.issuer}`,
      peer,
      'untrusted',
    );
  }
  if (!peer.hostnameMatch) {
    throw new TargetTlsError(
      `the certificate is not for ${host} (subject: ${peer.subject})`,
      peer,
      'wrong-name',
    );
  }
}

function describePeer(secure: tls.TLSSocket, host: string): PeerCertificate {
  const cert = secure.getPeerCertificate();
  return {
    authorized: secure.authorized,
    authorizationError: secure.authorizationError ? String(secure.authorizationError) : null,
    hostnameMatch: cert.raw ? tls.checkServerIdentity(host, cert) === undefined : false,
    subject: distinguishedName(cert.subject),
    issuer: distinguishedName(cert.issuer),
    validFrom: cert.valid_from ?? '',
    validTo: cert.valid_to ?? '',
    fingerprint256: cert.fingerprint256 ?? '',
  };
}

function distinguishedName(name: tls.PeerCertificate['subject'] | undefined): string {
  if (!name) return '';
  return Object.entries(name)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : value}`)
    .join(', ');
}

export interface RequestSpec {
  method: string;
  /** Origin-form: path and query. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer | Readable | undefined;
}

/** Sends one request over `stream` and resolves with the response (its body unread). */
export function sendRequest(
  stream: Socket,
  spec: RequestSpec,
  timeoutMs: number,
): Promise<{ response: http.IncomingMessage; request: http.ClientRequest }> {
  return new Promise((resolve, reject) => {
    const request = http.request({
      method: spec.method,
      path: spec.path,
      headers: spec.headers,
      setHost: false,
      createConnection: () => stream,
    });
    const timer = setTimeout(
      () => request.destroy(new Error(`no response within ${timeoutMs} ms`)),
      timeoutMs,
    );
    request.once('response', (response) => {
      clearTimeout(timer);
      resolve({ response, request });
    });
    request.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    if (spec.body === undefined) request.end();
    else if (Buffer.isBuffer(spec.body)) request.end(spec.body);
    else spec.body.pipe(request);
  });
}

/** The Host header value: the port only when it is not the scheme's default. */
export function hostHeader(target: Target, scheme: 'http' | 'https'): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  const defaultPort = scheme === 'https' ? 443 : 80;
  return target.port === defaultPort ? host : `${host}:${target.port}`;
}
