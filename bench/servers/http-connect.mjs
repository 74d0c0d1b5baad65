// A minimal HTTP CONNECT proxy (optional Basic auth) for benchmarks; bytes sent after the
// request head (pipelined handshakes of later hops) are forwarded once the tunnel is up.
import { prepare, splice } from './splice.mjs';

const MAX_HEAD = 16 * 1024;
const OK = Buffer.from('HTTP/1.1 200 Connection established\r\n\r\n');
const BAD_GATEWAY = Buffer.from('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';
const NEED_AUTH =
  'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="bench"\r\n' +
  'Content-Length: 0\r\nConnection: close\r\n\r\n';

/** Handler for net.createServer; `auth` is `{ username, password }` or undefined. */
export function httpConnectHandler(auth) {
  const expected = auth ? Buffer.from(`${auth.username}:${auth.password}`).toString('base64') : undefined;
  return (client) => {
    prepare(client);
    let buf = Buffer.alloc(0);
    const onData = (chunk) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) {
        if (buf.length > MAX_HEAD) client.end(BAD_REQUEST);
        return;
      }
      client.off('data', onData);
      const lines = buf.toString('latin1', 0, end).split('\r\n');
      const match = /^CONNECT (\[[^\]]+\]|[^:\s]+):(\d+) HTTP\/1\.[01]$/.exec(lines[0] ?? '');
      if (!match) return client.end(BAD_REQUEST);
      if (expected && !hasCredentials(lines, expected)) return client.end(NEED_AUTH);
      const host = match[1].replace(/^\[|\]$/g, '');
      splice(client, host, Number(match[2]), buf.subarray(end + 4), OK, BAD_GATEWAY);
    };
    client.on('data', onData);
  };
}

/** A `Proxy-Authorization: Basic <token>` line with the expected token (scheme in any case). */
function hasCredentials(lines, token) {
  return lines.some((line) => {
    const match = /^proxy-authorization:\s*basic\s+(\S+)\s*$/i.exec(line);
    return match !== null && match[1] === token;
  });
}
