/**
 * One sentence per cause: what it likely is and what to do, in the terms operators use
 * (open the port or move the proxy to an allowed one, let the authentication through or
 * align the method, reach the proxy over TLS so inspection cannot read it, whitelist it).
 * Chosen from typed facts only (blame.ts decides the cause).
 */
import type { Cause, Facts, Link } from './causes.js';

export function remedyFor(cause: Cause, error: Facts, link: Link): string {
  // On the target's side the hop to name is the one that reported (`from`).
  const hop =
    link.to !== null ? `hop ${link.to + 1}` : link.from !== null ? `hop ${link.from + 1}` : 'the last hop';
  const before = link.from === null ? 'this machine' : `hop ${link.from + 1}`;
  const errno = (error.cause as { code?: unknown } | undefined)?.code;
  switch (cause) {
    case 'filtered':
      return `the port of ${hop} is probably filtered by a firewall between ${before} and ${hop} (packets silently dropped): open the port there, or move the proxy to a port that is allowed (e.g. 443)`;
    case 'firewall-rejected':
      return `a firewall between ${before} and ${hop} rejects the connection with ICMP${typeof errno === 'string' ? ` (${errno}: unreachable or admin-prohibited)` : ' (unreachable or admin-prohibited)'}, or there is no route: open the port there, or move the proxy to an allowed port`;
    case 'refused':
      return `nothing listens on ${hop}'s address and port, or a firewall between ${before} and ${hop} rejects the connection: check host and port`;
    case 'credentials-blocked':
      return `the exchange carrying ${hop}'s credentials is dropped or reset on the way (a firewall filtering proxy authentication): let it through, align the authentication method with the proxy, or reach ${hop} over TLS (an https:// hop)`;
    case 'credentials-rejected':
      return error.reason === 'no-acceptable-method'
        ? `${hop} accepts none of the authentication methods offered (no auth, user/password): it may need another method`
        : `${hop} rejected the credentials: check user name and password, and percent-encode @ : / % in the URL`;
    case 'credentials-required':
      return error.reason === 'userid'
        ? `${hop} wants a SOCKS4 user id: put it in the URL, e.g. socks4://userid@host:port`
        : `${hop} wants credentials: put them in its URL, e.g. scheme://user:password@host:port (percent-encode @ : / %)`;
    case 'auth-unsupported':
      // The proxy never checked a password: say what to add, not what to check.
      return `${hop} asks only for authentication schemes sockschain does not answer by itself (named in the message): add an onProxyAuth hook (docs/hops.md#the-auth-hook), or ask for Basic, Digest or NTLM on that proxy`;
    case 'protocol-blocked':
      return `${hop}'s port is open but its proxy protocol got ${error.reason === 'reset' ? 'a reset' : 'no answer'} (deep packet inspection or an IPS between ${before} and ${hop}, or the port speaks another protocol than its URL says): reach the proxy over TLS (an https:// hop) or have it whitelisted`;
    case 'tls-blocked':
      return `the TLS handshake with ${hop} got ${error.reason === 'reset' ? 'a reset' : error.reason === 'closed' ? 'closed' : 'no answer'}: a firewall between ${before} and ${hop} blocks TLS there (possibly by SNI), or the port does not speak TLS; have the proxy whitelisted or use another port`;
    case 'tls-untrusted':
      return untrusted(hop, typeof errno === 'string' ? errno : '');
    case 'tls-intercepted':
      return link.to === null
        ? 'the certificate was issued by someone else than expected: TLS is probably intercepted (DPI) between the last hop and the target'
        : `certificate of ${hop} not trusted: an intercepting firewall (DPI) or a wrong CA; pass --ca FILE with the proxy's CA (an interceptor re-signing TLS on the way shows its own issuer)`;
    case 'proxy-denied':
      return error.reason === 'method-not-allowed'
        ? `${hop} does not allow CONNECT: it may be a plain web proxy that only forwards http:// requests`
        : `${hop}'s rules (ACL) forbid this destination: many proxies allow CONNECT only to port 443; ask its admin or route through another hop`;
    case 'wrong-protocol':
      return error.phase === 'tls'
        ? `${hop} does not speak TLS on that port: use http:// instead of https://`
        : `${hop} does not speak the protocol its URL says on that port: check the scheme (http, https, socks4, socks5) and the port`;
    case 'stalled':
      return `${hop} began to answer and then stopped: the proxy is overloaded, or a middlebox cuts the stream`;
    case 'target-filtered':
      return `the target's port is probably filtered by a firewall beyond ${hop}, the last hop (or the proxy is stalled); try another port or target`;
    case 'target-refused':
      return error.reason === 'refused'
        ? `nothing listens on the target's port, or a firewall near it rejects the connection (reported by ${hop}, the last hop)`
        : error.reason === 'unreachable'
          ? `a firewall beyond ${hop}, the last hop, rejects the target (host or network unreachable), or there is no route to it`
          : `${hop}, the last hop, cannot reach the target: it is down, or blocked from there`;
    case 'dns-failed':
      if (error.phase === 'tcp') {
        return link.from === null
          ? `the host name of ${hop} does not resolve here: check its spelling or this machine's DNS`
          : `the host name of ${hop} does not resolve from ${before}: check its spelling, or use an IP address`;
      }
      return error.phase === 'config'
        ? `the target's host name does not resolve on this machine (dns: local): check its spelling`
        : `the target's host name does not resolve from the last hop: check its spelling, or give an IP address`;
    case 'aborted':
      return 'interrupted before the tunnel was up';
    case 'config':
      return 'fix the chain or the target as the message says';
    case 'unknown':
      return `${hop} answered in a way no cause here explains: see the message and the proxy's reply`;
  }
}

function untrusted(hop: string, code: string): string {
  if (code === 'CERT_HAS_EXPIRED')
    return `${hop}'s certificate has expired (or this machine's clock is wrong)`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `${hop}'s certificate is for another name: use the host name it was issued for, or an intercepting firewall (DPI) answered`;
  }
  return `certificate of ${hop} not trusted: an intercepting firewall (DPI) or a wrong CA; pass --ca FILE with the proxy's CA`;
}

/** What can go wrong once the tunnel is up (probe --app-check, fetch). */
export type AfterTunnel = 'unexpected-issuer' | 'untrusted' | 'wrong-name' | 'tls-failed' | 'no-http';

export function afterTunnelRemedy(kind: AfterTunnel, issuer?: string): string {
  switch (kind) {
    case 'unexpected-issuer':
      return 'the certificate was issued by someone else than expected: TLS is probably intercepted (DPI) between the last hop and the target';
    case 'untrusted':
      return `the target's certificate is not trusted${issuer ? ` (issuer ${issuer})` : ''}: an intercepting firewall (DPI) re-signs TLS, or the target uses a private CA; pass --ca FILE if you trust it`;
    case 'wrong-name':
      return 'the certificate names another host: an intercepting firewall (DPI) answered, or the target name is wrong';
    case 'tls-failed':
      return 'TLS to the target failed: a firewall doing TLS inspection cut it, or the port does not speak TLS (try http://)';
    case 'no-http':
      return 'the tunnel was up but the target did not answer HTTP: the port may speak another protocol, or the server is stalled';
  }
}
