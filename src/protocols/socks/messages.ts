/**
 * Whole SOCKS messages as pure functions over wire.ts: what the client writes (so that the
 * sequential and the pipelined handshakes build the very same bytes) and what the `serve`
 * listener answers.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { Target } from '../../target.js';
import { COMMAND, EncodeError, encodeAddress, SOCKS4, SOCKS5_VERSION, USER_PASS, writeIpv4 } from './wire.js';

// --- client → proxy ---

export function greeting(methods: number[]): Buffer {
  return Buffer.from([SOCKS5_VERSION, methods.length, ...methods]);
}

/** RFC 1929 username/password request. */
export function userPassRequest(username: string, password: string): Buffer {
  const user = Buffer.from(username, 'utf8');
  const pass = Buffer.from(password, 'utf8');
  if (user.length > 255 || pass.length > 255)
    throw new EncodeError('SOCKS5 user name and password are limited to 255 bytes');
  return Buffer.concat([
    Buffer.from([USER_PASS.version, user.length]),
    user,
    Buffer.from([pass.length]),
    pass,
  ]);
}

export function connectRequest(dest: Target): Buffer {
  return socks5Message(COMMAND.connect, dest.host, dest.port);
}

/** SOCKS4 carries an IPv4 address; SOCKS4a sends 0.0.0.1 and the host name after the user id. */
export function socks4Request(dest: Target, userId: string, allowNames: boolean): Buffer {
  const user = Buffer.from(userId, 'utf8');
  const ip = isIPv4(dest.host);
  if (!ip && isIPv6(dest.host)) throw new EncodeError('SOCKS4 cannot carry IPv6 addresses: use socks5://');
  if (!ip && !allowNames) throw new EncodeError('plain SOCKS4 cannot carry host names: use socks4a://');
  const name = ip ? undefined : Buffer.from(dest.host, 'utf8');
  const out = Buffer.alloc(8 + user.length + 1 + (name ? name.length + 1 : 0));
  out[0] = SOCKS4.version;
  out[1] = COMMAND.connect;
  out.writeUInt16BE(dest.port, 2);
  if (ip) writeIpv4(dest.host, out, 4);
  else out[7] = 1; // 0.0.0.1: "the name follows"
  user.copy(out, 8);
  // The NULs after the user id and the name are the zeros Buffer.alloc left there.
  name?.copy(out, 8 + user.length + 1);
  return out;
}

// --- proxy → client (the `serve` listener) ---

export function methodChoice(method: number): Buffer {
  return Buffer.from([SOCKS5_VERSION, method]);
}

export function userPassStatus(status: number): Buffer {
  return Buffer.from([USER_PASS.version, status]);
}

/** A SOCKS5 reply; the bound address is reported as 0.0.0.0:0, which clients ignore. */
export function socks5Reply(code: number): Buffer {
  return socks5Message(code, '0.0.0.0', 0);
}

/** A SOCKS4 reply; the port and address fields are zero, which clients ignore. */
export function socks4Reply(code: number): Buffer {
  const out = Buffer.alloc(8);
  out[0] = SOCKS4.replyVersion;
  out[1] = code;
  return out;
}

/** VER, CMD or REP, RSV, ATYP + address, port: the layout of a request and of a reply. */
function socks5Message(second: number, host: string, port: number): Buffer {
  // One allocation for the whole, written in place: this runs once per tunnel (the setup CPU
  // profile in docs/performance.md showed the concat-of-spreads form at ~1.2 µs a call).
  const addr = encodeAddress(host);
  const out = Buffer.allocUnsafe(3 + addr.length + 2);
  out[0] = SOCKS5_VERSION;
  out[1] = second;
  out[2] = 0x00;
  addr.copy(out, 3);
  out.writeUInt16BE(port, 3 + addr.length);
  return out;
}
