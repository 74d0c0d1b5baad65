/**
 * SOCKS4/4a (the de-facto spec) and SOCKS5 (RFC 1928, RFC 1929) messages: what the client
 * writes, as pure functions, so that the sequential and the pipelined handshakes build the
 * very same bytes.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { Target } from '../../target.js';

export const SOCKS5 = { version: 0x05, noAuth: 0x00, userPass: 0x02, noAcceptable: 0xff, connect: 0x01 };
export const SOCKS4 = {
  version: 0x04,
  connect: 0x01,
  granted: 0x5a,
  failed: 0x5b,
  noIdentd: 0x5c,
  badUserId: 0x5d,
};
export const ATYP = { ipv4: 0x01, domain: 0x03, ipv6: 0x04 } as const;

/** A field over 255 bytes cannot be encoded; the caller turns this into INVALID_CONFIG. */
export class EncodeError extends Error {
  override name = 'EncodeError';
}

export function greeting(methods: number[]): Buffer {
  return Buffer.from([SOCKS5.version, methods.length, ...methods]);
}

/** RFC 1929 username/password request. */
export function userPassRequest(username: string, password: string): Buffer {
  const user = Buffer.from(username, 'utf8');
  const pass = Buffer.from(password, 'utf8');
  if (user.length > 255 || pass.length > 255)
    throw new EncodeError('SOCKS5 user name and password are limited to 255 bytes');
  return Buffer.concat([Buffer.from([0x01, user.length]), user, Buffer.from([pass.length]), pass]);
}

export function connectRequest(dest: Target): Buffer {
  // One allocation, written in place: this runs once per tunnel (the setup CPU profile in
  // docs/performance.md showed the concat-of-spreads form at ~1.2 µs a call).
  const addr = address(dest.host);
  const out = Buffer.allocUnsafe(3 + addr.length + 2);
  out[0] = SOCKS5.version;
  out[1] = SOCKS5.connect;
  out[2] = 0x00;
  addr.copy(out, 3);
  out.writeUInt16BE(dest.port, 3 + addr.length);
  return out;
}

function address(host: string): Buffer {
  if (isIPv4(host)) {
    const out = Buffer.allocUnsafe(5);
    out[0] = ATYP.ipv4;
    let at = 1;
    for (const part of host.split('.')) out[at++] = Number(part);
    return out;
  }
  if (isIPv6(host)) return Buffer.concat([Buffer.from([ATYP.ipv6]), ipv6Bytes(host)]);
  const name = Buffer.from(host, 'utf8');
  if (name.length > 255) throw new EncodeError(`host name longer than 255 bytes: ${host.slice(0, 40)}…`);
  return Buffer.concat([Buffer.from([ATYP.domain, name.length]), name]);
}

function port(value: number): Buffer {
  const out = Buffer.alloc(2);
  out.writeUInt16BE(value);
  return out;
}

function ipv6Bytes(host: string): Buffer {
  const [head = '', tail = ''] = host.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  let left = groups(head);
  let right = groups(tail);
  // An embedded IPv4 tail (::ffff:1.2.3.4) counts as two groups.
  const last = (host.includes('::') ? right : left).at(-1) ?? '';
  if (isIPv4(last)) {
    const [a, b, c, d] = last.split('.').map(Number) as [number, number, number, number];
    const v4 = [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
    if (host.includes('::')) right = [...right.slice(0, -1), ...v4];
    else left = [...left.slice(0, -1), ...v4];
  }
  const fill = host.includes('::') ? new Array(8 - left.length - right.length).fill('0') : [];
  const out = Buffer.alloc(16);
  [...left, ...fill, ...right].forEach((group, i) => {
    out.writeUInt16BE(Number.parseInt(group, 16) || 0, i * 2);
  });
  return out;
}

/** SOCKS4 carries an IPv4 address; SOCKS4a sends 0.0.0.1 and the host name after the user id. */
export function socks4Request(dest: Target, userId: string, allowNames: boolean): Buffer {
  const user = Buffer.from(userId, 'utf8');
  const head = Buffer.from([SOCKS4.version, SOCKS4.connect]);
  if (isIPv4(dest.host)) {
    return Buffer.concat([
      head,
      port(dest.port),
      Buffer.from(dest.host.split('.').map(Number)),
      user,
      Buffer.from([0]),
    ]);
  }
  if (isIPv6(dest.host)) throw new EncodeError('SOCKS4 cannot carry IPv6 addresses: use socks5://');
  if (!allowNames) throw new EncodeError('plain SOCKS4 cannot carry host names: use socks4a://');
  const name = Buffer.from(dest.host, 'utf8');
  return Buffer.concat([
    head,
    port(dest.port),
    Buffer.from([0, 0, 0, 1]),
    user,
    Buffer.from([0]),
    name,
    Buffer.from([0]),
  ]);
}

/** Length of the address that follows a SOCKS5 reply's ATYP byte, or -1 if unknown. */
export function addressLength(atyp: number): number {
  if (atyp === ATYP.ipv4) return 4;
  if (atyp === ATYP.ipv6) return 16;
  return -1;
}
