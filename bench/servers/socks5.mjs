// A minimal SOCKS5 server (RFC 1928 CONNECT, RFC 1929 user/password) for benchmarks: one
// buffer parser, so pipelined handshakes (every message in one write) work.
import { prepare, splice } from './splice.mjs';

const NO_AUTH = 0x00;
const USER_PASS = 0x02;
const REFUSED = Buffer.from([5, 5, 0, 1, 0, 0, 0, 0, 0, 0]);
const GRANTED = Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0]);

/** Handler for net.createServer; `auth` is `{ username, password }` or undefined. */
export function socks5Handler(auth) {
  const method = auth ? USER_PASS : NO_AUTH;
  return (client) => {
    prepare(client);
    let buf = Buffer.alloc(0);
    let state = 'greeting';
    const onData = (chunk) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      while (state !== 'done') {
        const used = step();
        if (used === 0) return;
        buf = buf.subarray(used);
      }
    };
    // Returns the bytes consumed by one complete message, 0 when more are needed.
    const step = () => {
      if (state === 'greeting') {
        if (buf.length < 2 || buf.length < 2 + buf[1]) return 0;
        if (!buf.subarray(2, 2 + buf[1]).includes(method)) {
          client.end(Buffer.from([5, 0xff]));
          state = 'done';
          return 0;
        }
        client.write(Buffer.from([5, method]));
        state = auth ? 'auth' : 'request';
        return 2 + buf[1];
      }
      if (state === 'auth') {
        const ulen = buf[1] ?? 0;
        if (buf.length < 3 + ulen || buf.length < 3 + ulen + buf[2 + ulen]) return 0;
        const plen = buf[2 + ulen];
        const user = buf.toString('latin1', 2, 2 + ulen);
        const pass = buf.toString('latin1', 3 + ulen, 3 + ulen + plen);
        const ok = user === auth.username && pass === auth.password;
        client.write(Buffer.from([1, ok ? 0 : 1]));
        if (!ok) {
          client.end();
          state = 'done';
          return 0;
        }
        state = 'request';
        return 3 + ulen + plen;
      }
      const dest = parseRequest(buf);
      if (!dest) return 0;
      state = 'done';
      client.off('data', onData);
      splice(client, dest.host, dest.port, buf.subarray(dest.length), GRANTED, REFUSED);
      return 0;
    };
    client.on('data', onData);
  };
}

/** VER CMD RSV ATYP ADDR PORT → { host, port, length } once complete. */
function parseRequest(buf) {
  if (buf.length < 5) return undefined;
  const atyp = buf[3];
  let host;
  let end;
  if (atyp === 1) {
    end = 8;
    if (buf.length < end + 2) return undefined;
    host = buf.subarray(4, 8).join('.');
  } else if (atyp === 3) {
    end = 5 + buf[4];
    if (buf.length < end + 2) return undefined;
    host = buf.toString('latin1', 5, end);
  } else {
    end = 20;
    if (buf.length < end + 2) return undefined;
    const words = [];
    for (let i = 4; i < 20; i += 2) words.push(buf.readUInt16BE(i).toString(16));
    host = words.join(':');
  }
  return { host, port: buf.readUInt16BE(end), length: end + 2 };
}
