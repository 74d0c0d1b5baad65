/**
 * SOCKS4/4a (the de-facto spec) and SOCKS5 (RFC 1928, RFC 1929) on the wire, for both sides:
 * every number the protocols use, by name, and the one address codec (a host string to
 * ATYP + bytes and back). The client handshake and the `serve` listener both speak through
 * this file; messages.ts builds whole messages from it.
 */
import net from 'node:net';

export const SOCKS5_VERSION = 0x05;

/** Authentication methods (RFC 1928 section 3); 0xFF in a choice means "none of yours". */
export const METHOD = { noAuth: 0x00, userPass: 0x02, noAcceptable: 0xff } as const;

/** Commands (RFC 1928 section 4; SOCKS4 uses 0x01 for CONNECT too). Only CONNECT is spoken. */
export const COMMAND = { connect: 0x01, bind: 0x02, udpAssociate: 0x03 } as const;

/** Address types (RFC 1928 section 5). */
export const ATYP = { ipv4: 0x01, domain: 0x03, ipv6: 0x04 } as const;

/** Reply codes (RFC 1928 section 6). */
export const SOCKS5_REPLY = {
  succeeded: 0x00,
  generalFailure: 0x01,
  notAllowed: 0x02,
  networkUnreachable: 0x03,
  hostUnreachable: 0x04,
  connectionRefused: 0x05,
  ttlExpired: 0x06,
  commandNotSupported: 0x07,
  addressTypeNotSupported: 0x08,
} as const;

/** What each reply code means, in the words messages quote. */
export const SOCKS5_REPLY_TEXT: Readonly<Record<number, string>> = {
  [SOCKS5_REPLY.succeeded]: 'succeeded',
  [SOCKS5_REPLY.generalFailure]: 'general failure',
  [SOCKS5_REPLY.notAllowed]: 'connection not allowed by ruleset',
  [SOCKS5_REPLY.networkUnreachable]: 'network unreachable',
  [SOCKS5_REPLY.hostUnreachable]: 'host unreachable',
  [SOCKS5_REPLY.connectionRefused]: 'connection refused',
  [SOCKS5_REPLY.ttlExpired]: 'TTL expired',
  [SOCKS5_REPLY.commandNotSupported]: 'command not supported',
  [SOCKS5_REPLY.addressTypeNotSupported]: 'address type not supported',
};

/** RFC 1929 username/password sub-negotiation: its version, and the status of its answer. */
export const USER_PASS = { version: 0x01, success: 0x00, failure: 0x01 } as const;

/** SOCKS4/4a: the request's version, the reply's (0 by the spec), and the four reply codes. */
export const SOCKS4 = {
  version: 0x04,
  replyVersion: 0x00,
  granted: 0x5a,
  rejected: 0x5b,
  noIdentd: 0x5c,
  badUserId: 0x5d,
} as const;

/** A field over 255 bytes cannot be encoded; the caller turns this into INVALID_CONFIG. */
export class EncodeError extends Error {
  override name = 'EncodeError';
}

/** ATYP and address as in a SOCKS5 request or reply: 1+4 bytes, 1+16, or 1+1+name (≤ 255 bytes). */
export function encodeAddress(host: string): Buffer {
  if (net.isIPv4(host)) {
    const out = Buffer.allocUnsafe(5);
    out[0] = ATYP.ipv4;
    writeIpv4(host, out, 1);
    return out;
  }
  if (net.isIPv6(host)) {
    const out = Buffer.alloc(17);
    out[0] = ATYP.ipv6;
    writeIpv6(host, out, 1);
    return out;
  }
  const name = Buffer.from(host, 'utf8');
  if (name.length > 255) throw new EncodeError(`host name longer than 255 bytes: ${host.slice(0, 40)}…`);
  const out = Buffer.allocUnsafe(2 + name.length);
  out[0] = ATYP.domain;
  out[1] = name.length;
  name.copy(out, 2);
  return out;
}

/**
 * How many address bytes follow an ATYP byte: 4 or 16 for an IP; for a name, the length byte
 * that comes first (read with `nameLength`); undefined for an address type we do not know.
 */
export async function addressLength(
  atyp: number,
  nameLength: () => Promise<number>,
): Promise<number | undefined> {
  if (atyp === ATYP.ipv4) return 4;
  if (atyp === ATYP.ipv6) return 16;
  if (atyp === ATYP.domain) return nameLength();
  return undefined;
}

/**
 * The host that the bytes after ATYP (and after a name's length byte) stand for: dotted
 * IPv4, IPv6 in its compressed form (`::1`, `::ffff:1.2.3.4`), or the name as UTF-8.
 */
export function decodeAddress(atyp: number, bytes: Buffer): string {
  if (atyp === ATYP.ipv4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (atyp === ATYP.ipv6) return ipv6String(bytes);
  return bytes.toString('utf8');
}

/** Dotted IPv4 (already checked with isIPv4) into 4 bytes at `at`: SOCKS5's address and SOCKS4's. */
export function writeIpv4(host: string, out: Buffer, at: number): void {
  let i = at;
  for (const part of host.split('.')) out[i++] = Number(part);
}

/**
 * IPv6 text (already checked with isIPv6) into 16 bytes at `at`. `::` stands for the missing
 * zero groups; an embedded IPv4 tail (`::ffff:1.2.3.4`) fills the last two groups; a zone
 * (`%eth0`) means nothing to the proxy and is dropped.
 */
function writeIpv6(host: string, out: Buffer, at: number): void {
  const address = host.split('%')[0] ?? '';
  const [head = '', tail] = address.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const words = (list: string[]) =>
    list.flatMap((group) => {
      if (!group.includes('.')) return [Number.parseInt(group, 16)];
      const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number);
      return [(a << 8) | b, (c << 8) | d];
    });
  // `out` is zeroed: the groups `::` stands for need no writing.
  let i = at;
  for (const word of words(left)) {
    out.writeUInt16BE(word, i);
    i += 2;
  }
  const last = words(right);
  i = at + 16 - last.length * 2;
  for (const word of last) {
    out.writeUInt16BE(word, i);
    i += 2;
  }
}

function ipv6String(bytes: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  // SocketAddress compresses it ('::1'), the form people write and logs show.
  return new net.SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
}
