/**
 * The server side of SOCKS5 (RFC 1928, CONNECT only, with RFC 1929 username/password) and
 * SOCKS4/4a on one port: the first byte tells them apart. Every field is length-capped by
 * the protocol itself (at most 255 bytes) and the whole request must arrive within the
 * handshake timeout. Failures are answered with the protocol's own reply codes.
 */
import net from 'node:net';
import type { ChainError } from '../errors.js';
import type { Target } from '../target.js';
import { credentialsMatch } from './auth.js';
import type { ClientProtocol } from './log.js';
import { ClientClosedError, FieldTooLongError, readByte, readCString, readExactly } from './reader.js';
import { SOCKS4_GRANTED, SOCKS4_REJECTED, SOCKS5_REPLY, socks5ReplyFor } from './replies.js';
import { closeGently, type ListenerContext, Session } from './session.js';

const METHOD_NONE = 0x00;
const METHOD_USERPASS = 0x02;
const NO_ACCEPTABLE_METHOD = 0xff;
const CMD_CONNECT = 0x01;
const MAX_FIELD = 255;

/** The client broke the protocol or failed our auth; the reply (if any) has been sent. */
class Refused extends Error {
  constructor(
    readonly result: 'LISTENER_AUTH' | 'BAD_REQUEST',
    message: string,
  ) {
    super(message);
  }
}

interface SocksRequest {
  protocol: ClientProtocol;
  target: Target;
  accept(): void;
  refuse(error: ChainError): void;
}

export function createSocksServer(
  ctx: ListenerContext,
  onSocket: (socket: net.Socket) => boolean,
): net.Server {
  // allowHalfOpen: a client that ends its side still gets the rest of the target's reply.
  return net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    if (!onSocket(socket)) return;
    handleSocksClient(socket, ctx).catch((error: unknown) => {
      // A bug, not the client's doing: close that one connection, never the server.
      socket.destroy();
      process.emitWarning(
        `sockschain serve: internal error: ${error instanceof Error ? error.message : error}`,
      );
    });
  });
}

export async function handleSocksClient(socket: net.Socket, ctx: ListenerContext): Promise<void> {
  const session = new Session(ctx, socket);
  const timer = setTimeout(() => {
    session.finish('CLIENT_TIMEOUT', `no complete request within ${ctx.handshakeTimeoutMs} ms`);
    socket.destroy();
  }, ctx.handshakeTimeoutMs);
  let request: SocksRequest;
  try {
    const version = await readByte(socket);
    if (version === 5) request = await readSocks5(socket, ctx, session);
    else if (version === 4) request = await readSocks4(socket, ctx, session);
    else
      throw new Refused('BAD_REQUEST', `not SOCKS (first byte 0x${version.toString(16).padStart(2, '0')})`);
  } catch (error) {
    if (error instanceof Refused) session.finish(error.result, error.message);
    else if (error instanceof FieldTooLongError) session.finish('BAD_REQUEST', error.message);
    else session.finish('CLIENT_CLOSED', error instanceof ClientClosedError ? undefined : String(error));
    closeGently(socket);
    return;
  } finally {
    clearTimeout(timer);
  }
  session.protocol = request.protocol;
  let upstream: net.Socket;
  try {
    upstream = await session.open(request.target, socket, { readAhead: true });
  } catch (error) {
    request.refuse(error as ChainError);
    session.finish(error as ChainError);
    return;
  }
  request.accept();
  session.relay(socket, upstream);
}

async function readSocks5(socket: net.Socket, ctx: ListenerContext, session: Session): Promise<SocksRequest> {
  session.protocol = 'socks5';
  const methods = [...(await readExactly(socket, await readByte(socket)))];
  const wanted = ctx.auth ? METHOD_USERPASS : METHOD_NONE;
  if (!methods.includes(wanted)) {
    socket.write(Buffer.from([5, NO_ACCEPTABLE_METHOD]));
    throw new Refused(
      ctx.auth ? 'LISTENER_AUTH' : 'BAD_REQUEST',
      ctx.auth
        ? 'the client offered no username/password authentication'
        : 'the client insists on authentication',
    );
  }
  socket.write(Buffer.from([5, wanted]));
  if (ctx.auth) {
    const subVersion = await readByte(socket);
    const username = (await readExactly(socket, await readByte(socket))).toString('utf8');
    const password = (await readExactly(socket, await readByte(socket))).toString('utf8');
    if (subVersion !== 1 || !credentialsMatch(ctx.auth, username, password)) {
      socket.write(Buffer.from([1, 0x01]));
      throw new Refused('LISTENER_AUTH', 'wrong user name or password');
    }
    socket.write(Buffer.from([1, 0x00]));
  }
  const [version, command, , atyp] = [...(await readExactly(socket, 4))];
  if (version !== 5) throw new Refused('BAD_REQUEST', `SOCKS5 request with version ${version}`);
  let host: string;
  if (atyp === 0x01) host = [...(await readExactly(socket, 4))].join('.');
  else if (atyp === 0x03) host = (await readExactly(socket, await readByte(socket))).toString('utf8');
  else if (atyp === 0x04) host = ipv6String(await readExactly(socket, 16));
  else {
    reply5(socket, SOCKS5_REPLY.addressTypeNotSupported);
    throw new Refused('BAD_REQUEST', `unknown address type 0x${(atyp ?? 0).toString(16)}`);
  }
  const port = (await readExactly(socket, 2)).readUInt16BE(0);
  session.target = net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
  if (command !== CMD_CONNECT) {
    reply5(socket, SOCKS5_REPLY.commandNotSupported);
    throw new Refused(
      'BAD_REQUEST',
      `SOCKS5 command 0x${(command ?? 0).toString(16)} (only CONNECT is supported)`,
    );
  }
  if (port === 0 || host === '') {
    reply5(socket, SOCKS5_REPLY.generalFailure);
    throw new Refused('BAD_REQUEST', 'empty host or port 0');
  }
  return {
    protocol: 'socks5',
    target: { host, port },
    accept: () => reply5(socket, SOCKS5_REPLY.succeeded),
    refuse: (error) => reply5(socket, socks5ReplyFor(error)),
  };
}

async function readSocks4(socket: net.Socket, ctx: ListenerContext, session: Session): Promise<SocksRequest> {
  session.protocol = 'socks4';
  const head = await readExactly(socket, 7);
  const command = head[0];
  const port = head.readUInt16BE(1);
  const ip = [...head.subarray(3, 7)];
  await readCString(socket, MAX_FIELD, 'SOCKS4 user id');
  // SOCKS4a: 0.0.0.x (x != 0) means "a host name follows the user id".
  const is4a = ip[0] === 0 && ip[1] === 0 && ip[2] === 0 && ip[3] !== 0;
  const host = is4a ? await readCString(socket, MAX_FIELD, 'SOCKS4a host name') : ip.join('.');
  session.protocol = is4a ? 'socks4a' : 'socks4';
  session.target = `${host}:${port}`;
  if (ctx.auth) {
    reply4(socket, SOCKS4_REJECTED);
    throw new Refused(
      'LISTENER_AUTH',
      'SOCKS4 cannot carry a password and this listener requires one: use SOCKS5',
    );
  }
  if (command !== CMD_CONNECT || port === 0 || host === '') {
    reply4(socket, SOCKS4_REJECTED);
    throw new Refused(
      'BAD_REQUEST',
      command !== CMD_CONNECT ? 'only CONNECT is supported' : 'empty host or port 0',
    );
  }
  return {
    protocol: session.protocol,
    target: { host, port },
    accept: () => reply4(socket, SOCKS4_GRANTED),
    refuse: () => reply4(socket, SOCKS4_REJECTED),
  };
}

/** A SOCKS5 reply; the bound address is reported as 0.0.0.0:0, which clients ignore. */
function reply5(socket: net.Socket, code: number): void {
  const out = Buffer.from([5, code, 0, 1, 0, 0, 0, 0, 0, 0]);
  if (code === SOCKS5_REPLY.succeeded) socket.write(out);
  else closeGently(socket, out);
}

function reply4(socket: net.Socket, code: number): void {
  const out = Buffer.from([0, code, 0, 0, 0, 0, 0, 0]);
  if (code === SOCKS4_GRANTED) socket.write(out);
  else closeGently(socket, out);
}

function ipv6String(bytes: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  // SocketAddress compresses it ('::1'), the form people write and logs show.
  return new net.SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
}
