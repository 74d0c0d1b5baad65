/**
 * SOCKS4, SOCKS4a and SOCKS5 handshakes through the `socks` package, run over the previous
 * hop's Duplex (`existing_socket`). The glue handles the package's known edges: it never
 * resumes a paused socket, it re-emits bytes that followed the reply one tick late with
 * `emit('data')` (lost unless somebody listens), and its errors carry the options object
 * with the password, so they are mapped to ChainErrors from their message alone.
 */
import type { Duplex } from 'node:stream';
import { SocksClient, type SocksClientOptions } from 'socks';
import { type HopContext, type HopProgress, hopError, reachError } from './context.js';
import { describeBytes } from './http-connect.js';

// SocksClientState values of the socks package (stable since 2.x).
const SENT_INITIAL = 3;
const SENT_AUTH = 5;
const SENT_FINAL = 7;

export function socksConnect(socket: Duplex, ctx: HopContext): Promise<void> {
  const { hop } = ctx;
  const v4 = hop.protocol === 'socks4' || hop.protocol === 'socks4a';
  const options: SocksClientOptions = {
    command: 'connect',
    proxy: {
      host: hop.host,
      port: hop.port,
      type: v4 ? 4 : 5,
      userId: hop.username,
      password: hop.password,
    },
    destination: { host: ctx.dest.host, port: ctx.dest.port },
    existing_socket: socket,
    // Our own timers govern; this only has to outlive them, and a short one frees the
    // package's client object soon after success (its timer is never cleared).
    timeout: Math.max(1, ctx.remainingMs()) + 1000,
  };
  const client = new SocksClient(options);
  const state = () => (client as unknown as { state: number }).state;
  ctx.progress((): HopProgress => {
    const current = state();
    if (v4) return { phase: 'handshake', awaitingDest: current >= SENT_INITIAL };
    return {
      phase: current >= SENT_AUTH && current < SENT_FINAL ? 'auth' : 'handshake',
      awaitingDest: current >= SENT_FINAL,
    };
  });

  // The first bytes the proxy sent, to tell "wrong protocol" apart from other failures.
  let firstBytes = Buffer.alloc(0);
  const sniff = (chunk: Buffer) => {
    if (firstBytes.length < 16) firstBytes = Buffer.concat([firstBytes, chunk]).subarray(0, 16);
  };

  return new Promise((resolve, reject) => {
    client.once('established', () => {
      socket.off('data', sniff);
      client.removeAllListeners();
      // Catch what the package re-emits on the next tick, then hand it back to the stream.
      const captured: Buffer[] = [];
      const capture = (chunk: Buffer) => captured.push(chunk);
      socket.on('data', capture);
      setImmediate(() => {
        socket.off('data', capture);
        socket.pause();
        if (captured.length > 0) socket.unshift(Buffer.concat(captured));
        resolve();
      });
    });
    client.once('error', (error: Error) => {
      socket.off('data', sniff);
      client.removeAllListeners();
      reject(mapSocksError(error.message, ctx, firstBytes, state()));
    });
    socket.prependListener('data', sniff);
    client.connect(socket);
    // The package only adds a 'data' listener; a socket paused by an earlier stage would stall.
    socket.resume();
  });
}

function mapSocksError(message: string, ctx: HopContext, firstBytes: Buffer, state: number): Error {
  const v4 = ctx.hop.protocol.startsWith('socks4');
  const credentials = ctx.hop.username !== undefined || ctx.hop.password !== undefined;
  const reply = /rejected connection - \(?(\w+)\)?/.exec(message)?.[1];
  const wrongVersion =
    firstBytes.length > 0 && (v4 ? firstBytes[0] !== 0x00 && firstBytes[0] !== 0x04 : firstBytes[0] !== 0x05);
  if (wrongVersion) {
    return hopError(
      ctx,
      'PROTOCOL_ERROR',
      'handshake',
      `does not answer in SOCKS: ${describeSocksPeer(firstBytes)}`,
    );
  }
  if (/Authentication failed/i.test(message)) {
    return hopError(ctx, 'AUTH_FAILED', 'auth', 'username/password rejected (RFC 1929 status != 0)', {
      reply: 'SOCKS5 auth failure',
    });
  }
  if (/no accepted authentication type/i.test(message)) {
    return credentials
      ? hopError(ctx, 'AUTH_FAILED', 'auth', 'accepts none of the offered methods (no-auth, user/password)', {
          reply: 'SOCKS5 method 0xFF',
        })
      : hopError(ctx, 'AUTH_REQUIRED', 'auth', 'proxy wants credentials (SOCKS5 method 0xFF for no-auth)', {
          reply: 'SOCKS5 method 0xFF',
        });
  }
  if (reply) return mapReply(reply, ctx, v4, credentials);
  if (/Socket closed/i.test(message)) {
    const detail =
      state >= SENT_FINAL || (v4 && state >= SENT_INITIAL)
        ? 'closed the connection instead of answering the CONNECT request'
        : 'closed the connection during the handshake';
    return hopError(
      ctx,
      'PROTOCOL_ERROR',
      'handshake',
      `${detail}: is it really a SOCKS${v4 ? '4' : '5'} proxy?`,
    );
  }
  return hopError(ctx, 'PROTOCOL_ERROR', 'handshake', `invalid SOCKS reply (${message})`);
}

const SOCKS5_REPLIES: Record<string, { code: number; text: string }> = {
  Failure: { code: 0x01, text: 'general failure' },
  NotAllowed: { code: 0x02, text: 'connection not allowed by ruleset' },
  NetworkUnreachable: { code: 0x03, text: 'network unreachable' },
  HostUnreachable: { code: 0x04, text: 'host unreachable' },
  ConnectionRefused: { code: 0x05, text: 'connection refused' },
  TTLExpired: { code: 0x06, text: 'TTL expired' },
  CommandNotSupported: { code: 0x07, text: 'command not supported' },
  AddressNotSupported: { code: 0x08, text: 'address type not supported' },
};

function mapReply(name: string, ctx: HopContext, v4: boolean, credentials: boolean): Error {
  if (v4) {
    if (name === 'Failed') {
      return hopError(ctx, 'PROXY_DENIED', 'handshake', 'request rejected or failed (SOCKS4 0x5B)', {
        reply: 'SOCKS4 0x5B',
      });
    }
    const code = name === 'Rejected' ? '0x5C' : '0x5D';
    const reply = `SOCKS4 ${code}`;
    return credentials
      ? hopError(ctx, 'AUTH_FAILED', 'auth', `user id rejected (${reply})`, { reply })
      : hopError(ctx, 'AUTH_REQUIRED', 'auth', `proxy wants a user id (${reply})`, { reply });
  }
  const known = SOCKS5_REPLIES[name] ?? { code: -1, text: name };
  const reply = `SOCKS5 reply 0x${known.code.toString(16).padStart(2, '0')} (${known.text})`;
  switch (known.code) {
    case 0x02:
      return hopError(ctx, 'PROXY_DENIED', 'handshake', `the proxy's rules deny the connection (${reply})`, {
        reply,
      });
    case 0x05:
      return reachError(ctx, 'refused', reply, reply);
    case 0x06:
      return reachError(ctx, 'timeout', reply, reply);
    case 0x01:
    case 0x03:
    case 0x04:
      return reachError(ctx, 'unreachable', reply, reply);
    default:
      return hopError(ctx, 'PROTOCOL_ERROR', 'handshake', `request refused (${reply})`, { reply });
  }
}

function describeSocksPeer(bytes: Buffer): string {
  if (bytes.subarray(0, 5).toString('latin1') === 'HTTP/') return 'it answers in HTTP: use http://';
  return describeBytes(bytes);
}
