/**
 * From a ChainError to what an operator needs: whose fault it is (the target, a hop, the
 * configuration), the exit code that says so, and one line on the likely cause and fix.
 * One place, so that probe, check and fetch word every failure the same way.
 */
import type { ChainError } from '../errors.js';
import { EXIT } from './io.js';

/** 'target': every hop worked and the last one could not reach the target. */
export type FailureKind = 'target' | 'hop' | 'config';

/** The facts the hint needs; a ChainError has them all. */
export type Failure = Pick<ChainError, 'code' | 'phase' | 'hopIndex' | 'reply' | 'target' | 'message'> & {
  cause?: unknown;
};

/**
 * TARGET_UNREACHABLE, a target name that does not resolve, and a last hop that never
 * answered about the target (its port filtered) are the target's; config errors are usage
 * errors; everything else is a hop's.
 */
export function failureKind(error: Failure, hopCount: number, finalTarget?: string): FailureKind {
  switch (error.code) {
    case 'INVALID_CONFIG':
      return 'config';
    case 'TARGET_UNREACHABLE':
      return 'target';
    case 'DNS_FAILED':
      // phase 'tcp' is a hop's own name; 'handshake' (remote) or 'config' (dns: 'local') the target's.
      return error.phase === 'tcp' ? 'hop' : 'target';
    case 'HOP_TIMEOUT':
      // Only the "asked for the target, never heard back" timeout names a target at the last hop.
      return error.hopIndex === hopCount - 1 &&
        error.phase === 'handshake' &&
        error.target !== undefined &&
        (finalTarget === undefined || error.target === finalTarget)
        ? 'target'
        : 'hop';
    default:
      return 'hop';
  }
}

export function exitCodeFor(kind: FailureKind): number {
  return kind === 'target' ? EXIT.unreachable : kind === 'config' ? EXIT.usage : EXIT.hopFailed;
}

/** The worst of several exit codes: usage > hop failed > unreachable > ok. */
export function worstExit(codes: Iterable<number>): number {
  const rank = [EXIT.ok, EXIT.unreachable, EXIT.hopFailed, EXIT.usage] as number[];
  let worst: number = EXIT.ok;
  for (const code of codes) if (rank.indexOf(code) > rank.indexOf(worst)) worst = code;
  return worst;
}

/** One line: the likely cause and what to do about it. */
export function hintFor(error: Failure, hopCount: number): string {
  const n = error.hopIndex + 1;
  const hop = `hop ${n}`;
  const before = n > 1 ? `hop ${n - 1}` : 'this machine';
  const cause = (error.cause as { code?: unknown } | undefined)?.code;
  switch (error.code) {
    case 'HOP_UNREACHABLE':
      return `nothing listens on ${hop}'s address and port, or a firewall between ${before} and ${hop} rejects the connection: check host and port`;
    case 'HOP_TIMEOUT':
      if (error.phase === 'tcp') {
        return `the port of ${hop} is probably filtered by a firewall between ${before} and ${hop} (packets silently dropped)`;
      }
      if (failureKind(error, hopCount) === 'target') {
        return `the target's port is probably filtered by a firewall beyond the last hop (or the proxy is stalled); try another port or target`;
      }
      return `${hop} accepted the connection but stopped answering: the port may speak another protocol than its URL says, or the proxy is overloaded`;
    case 'AUTH_REQUIRED':
      return /SOCKS4/.test(error.reply ?? '')
        ? `${hop} wants a SOCKS4 user id: put it in the URL, e.g. socks4://userid@host:port`
        : `${hop} wants credentials: put them in its URL, e.g. scheme://user:password@host:port (percent-encode @ : / %)`;
    case 'AUTH_FAILED':
      return /0xFF/i.test(error.reply ?? '')
        ? `${hop} accepts none of the authentication methods offered (no auth, user/password): it may need another method`
        : `${hop} rejected the credentials: check user name and password, and percent-encode @ : / % in the URL`;
    case 'AUTH_UNSUPPORTED':
      // The proxy never checked a password: say what to add, not what to check.
      return `${hop} asks only for authentication schemes sockschain does not answer by itself (named above): add an onProxyAuth hook (docs/hops.md#the-auth-hook), or ask for Basic, Digest or NTLM on that proxy`;
    case 'PROXY_DENIED':
      return /\b405\b/.test(error.reply ?? '')
        ? `${hop} does not allow CONNECT: it may be a plain web proxy that only forwards http:// requests`
        : `${hop}'s rules (ACL) forbid this destination: many proxies allow CONNECT only to port 443; ask its admin or route through another hop`;
    case 'TARGET_UNREACHABLE':
      if (/refused/i.test(error.reply ?? error.message)) {
        return `nothing listens on the target's port, or a firewall near it rejects the connection (reported by ${hop}, the last hop)`;
      }
      if (/timeout|TTL|504/i.test(error.reply ?? error.message)) {
        return `the target's port is probably filtered by a firewall beyond ${hop} (the last hop timed out reaching it)`;
      }
      return `${hop}, the last hop, cannot reach the target: it is down, or blocked from there`;
    case 'DNS_FAILED':
      if (error.phase === 'tcp') {
        return n === 1
          ? `the host name of ${hop} does not resolve here: check its spelling or this machine's DNS`
          : `the host name of ${hop} does not resolve from hop ${n - 1}: check its spelling, or use an IP address`;
      }
      return error.phase === 'config'
        ? `the target's host name does not resolve on this machine (dns: local): check its spelling`
        : `the target's host name does not resolve from the last hop: check its spelling, or give an IP address`;
    case 'TLS_FAILED':
      return tlsHint(hop, String(cause ?? ''), error.message);
    case 'PROTOCOL_ERROR':
      if (error.phase === 'tls')
        return `${hop} does not speak TLS on that port: use http:// instead of https://`;
      return `${hop} does not speak the protocol its URL says on that port: check the scheme (http, https, socks4, socks5) and the port`;
    case 'ABORTED':
      return 'interrupted before the tunnel was up';
    case 'INVALID_CONFIG':
      return 'fix the chain or the target as the message says';
  }
}

function tlsHint(hop: string, code: string, message: string): string {
  if (code === 'CERT_HAS_EXPIRED' || /expired/i.test(message)) {
    return `${hop}'s certificate has expired (or this machine's clock is wrong)`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || /altnames|does not match/i.test(message)) {
    return `${hop}'s certificate is for another name: use the host name it was issued for, or an intercepting firewall (DPI) answered`;
  }
  if (/closed the connection during the TLS handshake/.test(message)) {
    return `the connection to ${hop} was cut during TLS: a firewall doing TLS inspection (DPI), or not a TLS port`;
  }
  return `certificate of ${hop} not trusted: an intercepting firewall (DPI) or a wrong CA; pass --ca FILE with the proxy's CA`;
}

/** What went wrong after the tunnel was up (TLS to the target, HTTP), as one line of advice. */
export function targetHint(message: string, peer?: { issuer: string } | null): string {
  if (/issuer is not the expected/.test(message)) {
    return 'the certificate was issued by someone else than expected: TLS is probably intercepted (DPI) between the last hop and the target';
  }
  if (/not trusted/.test(message)) {
    return `the target's certificate is not trusted${peer ? ` (issuer ${peer.issuer})` : ''}: an intercepting firewall (DPI) re-signs TLS, or the target uses a private CA; pass --ca FILE if you trust it`;
  }
  if (/is not for /.test(message)) {
    return 'the certificate names another host: an intercepting firewall (DPI) answered, or the target name is wrong';
  }
  if (/TLS/.test(message)) {
    return 'TLS to the target failed: a firewall doing TLS inspection cut it, or the port does not speak TLS (try http://)';
  }
  return 'the tunnel was up but the target did not answer HTTP: the port may speak another protocol, or the server is stalled';
}
