/**
 * How a chain failure is told to the client, in the client's own protocol: a SOCKS reply
 * code, or an HTTP status with a one-line body naming the failing hop and code. Hop URLs
 * in ChainErrors are redacted, so nothing here can carry a password.
 */
import { ChainError } from '../errors.js';

// SOCKS5 reply codes (RFC 1928 section 6).
export const SOCKS5_REPLY = {
  succeeded: 0x00,
  generalFailure: 0x01,
  notAllowed: 0x02,
  hostUnreachable: 0x04,
  connectionRefused: 0x05,
  ttlExpired: 0x06,
  commandNotSupported: 0x07,
  addressTypeNotSupported: 0x08,
} as const;

export const SOCKS4_GRANTED = 0x5a;
export const SOCKS4_REJECTED = 0x5b;

export function socks5ReplyFor(error: ChainError): number {
  switch (error.code) {
    case 'HOP_UNREACHABLE':
    case 'TARGET_UNREACHABLE':
      return wasRefused(error) ? SOCKS5_REPLY.connectionRefused : SOCKS5_REPLY.hostUnreachable;
    case 'DNS_FAILED':
      return SOCKS5_REPLY.hostUnreachable;
    case 'PROXY_DENIED':
      return SOCKS5_REPLY.notAllowed;
    case 'HOP_TIMEOUT':
      // SOCKS5 has no "timed out"; TTL expired is the closest and what dante sends.
      return SOCKS5_REPLY.ttlExpired;
    default:
      return SOCKS5_REPLY.generalFailure;
  }
}

/** Refused (RST, SOCKS 0x05, squid's refusal) rather than unreachable (no route, 502). */
function wasRefused(error: ChainError): boolean {
  const cause = error.cause as NodeJS.ErrnoException | undefined;
  if (cause?.code === 'ECONNREFUSED') return true;
  return /0x05|refused/i.test(error.reply ?? '');
}

export function httpStatusFor(error: ChainError): 502 | 504 {
  return error.code === 'HOP_TIMEOUT' ? 504 : 502;
}

/** `sockschain: hop 2 (socks5://bob:***@127.0.0.1:1080) AUTH_FAILED: username/password rejected` */
export function describeFailure(error: ChainError): string {
  const label = error.hopIndex >= 0 && error.hop ? `hop ${error.hopIndex + 1} (${error.hop})` : '';
  // Most messages start with the same label: say it once.
  const message =
    label && error.message.startsWith(`${label}: `) ? error.message.slice(label.length + 2) : error.message;
  return `sockschain: ${label ? `${label} ` : ''}${error.code}: ${message}`;
}

/** Whatever a custom `connect` threw, as a ChainError (the only kind that is safe to print). */
export function asChainError(error: unknown, target: string): ChainError {
  if (error instanceof ChainError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const detail = code ?? (error instanceof Error ? error.message : String(error));
  return new ChainError({
    code: code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'DNS_FAILED' : 'TARGET_UNREACHABLE',
    phase: 'tcp',
    target,
    message: `cannot reach ${target}: ${detail}`,
    cause: error,
  });
}
