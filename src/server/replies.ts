/**
 * How a chain failure is told to the client, in the client's own protocol: a SOCKS reply
 * code, or an HTTP status with a one-line body naming the failing hop and code. Hop URLs
 * in ChainErrors are redacted, so nothing here can carry a password.
 */
import { blame, errnoOf } from '../blame.js';
import type { ChainError } from '../errors.js';
import { SOCKS5_REPLY } from '../protocols/socks/wire.js';

/** The SOCKS5 reply closest to blame.ts's cause (the chain's hop count does not matter here). */
export function socks5ReplyFor(error: ChainError): number {
  const { cause } = blame(error, { hopCount: error.hopIndex + 1 });
  switch (cause) {
    case 'refused':
    case 'target-refused':
      // Refused (a reset, SOCKS 0x05, squid's errno 111) rather than unreachable (no route, 502).
      return error.reason === 'refused' || errnoOf(error) === 'ECONNREFUSED'
        ? SOCKS5_REPLY.connectionRefused
        : SOCKS5_REPLY.hostUnreachable;
    case 'firewall-rejected':
    case 'dns-failed':
      return SOCKS5_REPLY.hostUnreachable;
    case 'proxy-denied':
      return SOCKS5_REPLY.notAllowed;
    default:
      // SOCKS5 has no "timed out"; TTL expired is the closest and what dante sends.
      return error.code === 'HOP_TIMEOUT' || cause === 'target-filtered'
        ? SOCKS5_REPLY.ttlExpired
        : SOCKS5_REPLY.generalFailure;
  }
}

export function httpStatusFor(error: ChainError): 502 | 504 {
  return error.code === 'HOP_TIMEOUT' ? 504 : 502;
}

/**
 * `sockschain: AUTH_FAILED: hop 2 (socks5://bob:***@127.0.0.1:1080): username/password rejected`.
 * The message names the hop (and, for "cannot reach hop k+1", both hops) already.
 */
export function describeFailure(error: ChainError): string {
  return `sockschain: ${error.code}: ${error.message}`;
}
