/**
 * `probe --app-check`: once the tunnel is up, a HEAD request to an http(s) target, and for
 * https the target's certificate (subject, issuer, trusted or not). An issuer other than
 * the expected one is the mark of TLS interception. Nothing is sent over TLS that failed
 * verification.
 */
import type { Socket } from 'node:net';
import { afterTunnelRemedy } from '../../remedies.js';
import type { Target } from '../../target.js';
import {
  hostHeader,
  type PeerCertificate,
  sendRequest,
  startTls,
  TargetTlsError,
  verified,
} from '../http-exchange.js';
import { roundMs } from '../output/table.js';
import type { AppReport } from './report.js';

export interface AppCheckOptions {
  scheme: 'http' | 'https';
  path: string;
  ca?: string[] | undefined;
  /** Text the issuer must contain, e.g. "Let's Encrypt". */
  expectIssuer?: string | undefined;
  timeoutMs: number;
  userAgent: string;
}

export async function appCheck(socket: Socket, target: Target, options: AppCheckOptions): Promise<AppReport> {
  const began = performance.now();
  const report: AppReport = {
    scheme: options.scheme,
    status: null,
    statusText: null,
    ms: null,
    tls: null,
    error: null,
  };
  let stream: Socket = socket;
  try {
    if (options.scheme === 'https') {
      const secure = await startTls(socket, target, { ca: options.ca }, options.timeoutMs);
      stream = secure.stream;
      report.tls = secure.peer;
      // An issuer other than the one expected says "intercepted" more precisely than "untrusted".
      expectIssuer(secure.peer, options.expectIssuer);
      verified(secure.peer, target.host);
    }
    const { response } = await sendRequest(
      stream,
      {
        method: 'HEAD',
        path: options.path,
        headers: {
          host: hostHeader(target, options.scheme),
          'user-agent': options.userAgent,
          accept: '*/*',
          connection: 'close',
        },
      },
      options.timeoutMs,
    );
    response.resume();
    report.status = response.statusCode ?? null;
    report.statusText = response.statusMessage ?? null;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const tlsError = error instanceof TargetTlsError ? error : undefined;
    report.error = {
      message,
      kind: tlsError?.kind ?? 'no-http',
      hint: afterTunnelRemedy(tlsError?.kind ?? 'no-http', tlsError?.peer?.issuer),
    };
  } finally {
    report.ms = roundMs(performance.now() - began);
    stream.destroy();
    socket.destroy();
  }
  return report;
}

function expectIssuer(peer: PeerCertificate, expected: string | undefined): void {
  if (expected === undefined || peer.issuer.toLowerCase().includes(expected.toLowerCase())) return;
  throw new TargetTlsError(
    `the issuer is not the expected one ("${expected}"): ${peer.issuer}`,
    peer,
    'unexpected-issuer',
  );
}
