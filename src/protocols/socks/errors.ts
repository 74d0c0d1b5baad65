/** SOCKS reply codes as ChainErrors: who is to blame, and in the proxy's own words. */

import { isIP } from 'node:net';
import { type Exchange, type HopContext, hopError, reachError } from '../context.js';
import { printable } from '../http-response.js';
import { SOCKS4, SOCKS5_REPLY, SOCKS5_REPLY_TEXT, SOCKS5_VERSION } from './wire.js';

/** The first byte of a TLS record: an alert, or a handshake (a ServerHello). */
const TLS_ALERT = 0x15;
const TLS_HANDSHAKE = 0x16;

export function mapSocks5Reply(ctx: HopContext, code: number): Error {
  const reply = `SOCKS5 reply 0x${code.toString(16).padStart(2, '0')} (${SOCKS5_REPLY_TEXT[code] ?? 'unassigned'})`;
  switch (code) {
    case SOCKS5_REPLY.notAllowed:
      return hopError(ctx, 'PROXY_DENIED', 'handshake', `the proxy's rules deny the connection (${reply})`, {
        reply,
        stage: 'reply',
      });
    case SOCKS5_REPLY.connectionRefused:
      return reachError(ctx, 'refused', reply, reply);
    case SOCKS5_REPLY.ttlExpired:
      return reachError(ctx, 'timeout', reply, reply);
    case SOCKS5_REPLY.generalFailure:
      return reachError(ctx, 'failed', reply, reply);
    case SOCKS5_REPLY.networkUnreachable:
    case SOCKS5_REPLY.hostUnreachable:
      return reachError(ctx, 'unreachable', reply, reply);
    case SOCKS5_REPLY.addressTypeNotSupported:
      return hopError(ctx, 'PROXY_DENIED', 'handshake', `${unsupportedAddress(ctx.dest.host)} (${reply})`, {
        reply,
        stage: 'reply',
      });
    default:
      return hopError(ctx, 'PROTOCOL_ERROR', 'handshake', `request refused (${reply})`, {
        reply,
        stage: 'reply',
      });
  }
}

/**
 * Reply 0x08: the proxy takes no address of this type. What helps depends on what was sent:
 * a name (resolve it here), an IPv6 or an IPv4 literal (use the other family, or a name).
 */
function unsupportedAddress(host: string): string {
  const family = isIP(host);
  if (family === 6) {
    return 'the proxy takes no IPv6 addresses (it is probably IPv4-only): use the IPv4 address or a name of the destination';
  }
  if (family === 4) {
    return 'the proxy takes no IPv4 addresses: use the IPv6 address or a name of the destination';
  }
  return "the proxy does not resolve host names: use dns: 'local' to send it an IP address";
}

export function mapSocks4Reply(ctx: HopContext, code: number, credentials: boolean): Error {
  const reply = `SOCKS4 0x${code.toString(16).toUpperCase()}`;
  if (code === SOCKS4.rejected) {
    // SOCKS4 has one code for "denied by the rules" and "could not connect".
    return hopError(ctx, 'PROXY_DENIED', 'handshake', `request rejected or failed (${reply})`, {
      reply,
      stage: 'reply',
    });
  }
  if (code === SOCKS4.noIdentd || code === SOCKS4.badUserId) {
    return credentials
      ? hopError(ctx, 'AUTH_FAILED', 'auth', `user id rejected (${reply})`, { reply, reason: 'userid' })
      : hopError(ctx, 'AUTH_REQUIRED', 'auth', `proxy wants a user id (${reply})`, {
          reply,
          reason: 'userid',
        });
  }
  return hopError(ctx, 'PROTOCOL_ERROR', 'handshake', `unknown SOCKS4 reply (${reply})`, {
    reply,
    stage: 'reply',
  });
}

/** The peer answered, but not in SOCKS: say what it looks like. */
export function notSocks(at: Exchange, bytes: Buffer): Error {
  const { ctx } = at;
  const text = bytes.subarray(0, 5).toString('latin1');
  let what = `got "${printable(bytes)}"`;
  // We may hold only the 2 bytes of a SOCKS reply: "HT" is enough to recognise HTTP.
  if (text.length >= 2 && 'HTTP/'.startsWith(text)) what = 'it answers in HTTP: use http://';
  else if (bytes[0] === TLS_ALERT || bytes[0] === TLS_HANDSHAKE)
    what = 'it answers in TLS: is it an https:// proxy?';
  else if (bytes[0] === SOCKS5_VERSION && ctx.hop.protocol.startsWith('socks4'))
    what = 'it answers in SOCKS5: use socks5://';
  return at.error('PROTOCOL_ERROR', 'handshake', `does not answer in SOCKS: ${what}`, {
    reason: 'wrong-protocol',
  });
}
