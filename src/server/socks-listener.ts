/**
 * The server side of SOCKS5 (RFC 1928, CONNECT only, with RFC 1929 username/password) and
 * SOCKS4/4a on one port: the first byte tells them apart. Every field is length-capped by
 * the protocol itself (at most 255 bytes) and the whole request must arrive within the
 * handshake timeout. Failures are answered with the protocol's own reply codes.
 */
import net from 'node:net';
import type { ChainError } from '../errors.js';
import { readByte, readCString, readExactly } from '../io/read-exactly.js';
import { ReplyTooLargeError, StreamEndedError } from '../io/read-until.js';
import { methodChoice, socks4Reply, socks5Reply, userPassStatus } from '../protocols/socks/messages.js';
import {
  ATYP,
  addressLength,
  COMMAND,
  decodeAddress,
  METHOD,
  SOCKS4,
  SOCKS5_REPLY,
  SOCKS5_VERSION,
  USER_PASS,
} from '../protocols/socks/wire.js';
import type { Target } from '../target.js';
import { credentialsMatch } from './auth.js';
import type { ClientProtocol } from './log.js';
import { socks5ReplyFor } from './replies.js';
import { closeGently, type ListenerContext, Session } from './session.js';

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
    if (version === SOCKS5_VERSION) request = await readSocks5(socket, ctx, session);
    else if (version === SOCKS4.version) request = await readSocks4(socket, ctx, session);
    else
      throw new Refused('BAD_REQUEST', `not SOCKS (first byte 0x${version.toString(16).padStart(2, '0')})`);
  } catch (error) {
    if (error instanceof Refused) session.finish(error.result, error.message);
    else session.finish('CLIENT_CLOSED', clientWentAway(error) ? undefined : String(error));
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
  const wanted = ctx.auth ? METHOD.userPass : METHOD.noAuth;
  if (!methods.includes(wanted)) {
    socket.write(methodChoice(METHOD.noAcceptable));
    throw new Refused(
      ctx.auth ? 'LISTENER_AUTH' : 'BAD_REQUEST',
      ctx.auth
        ? 'the client offered no username/password authentication'
        : 'the client insists on authentication',
    );
  }
  socket.write(methodChoice(wanted));
  if (ctx.auth) {
    const subVersion = await readByte(socket);
    const username = (await readExactly(socket, await readByte(socket))).toString('utf8');
    const password = (await readExactly(socket, await readByte(socket))).toString('utf8');
    if (subVersion !== USER_PASS.version || !credentialsMatch(ctx.auth, username, password)) {
      socket.write(userPassStatus(USER_PASS.failure));
      throw new Refused('LISTENER_AUTH', 'wrong user name or password');
    }
    socket.write(userPassStatus(USER_PASS.success));
  }
  const [version, command, , atyp] = [...(await readExactly(socket, 4))];
  if (version !== SOCKS5_VERSION) throw new Refused('BAD_REQUEST', `SOCKS5 request with version ${version}`);
  const length = await addressLength(atyp ?? 0, () => readByte(socket));
  if (length === undefined) {
    reply5(socket, SOCKS5_REPLY.addressTypeNotSupported);
    throw new Refused('BAD_REQUEST', `unknown address type 0x${(atyp ?? 0).toString(16)}`);
  }
  const host = decodeAddress(atyp ?? 0, await readExactly(socket, length));
  const port = (await readExactly(socket, 2)).readUInt16BE(0);
  session.target = net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
  if (command !== COMMAND.connect) {
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
  const ip = head.subarray(3, 7);
  await field(socket, 'SOCKS4 user id');
  // SOCKS4a: 0.0.0.x (x != 0) means "a host name follows the user id".
  const is4a = ip[0] === 0 && ip[1] === 0 && ip[2] === 0 && ip[3] !== 0;
  const host = is4a ? await field(socket, 'SOCKS4a host name') : decodeAddress(ATYP.ipv4, ip);
  session.protocol = is4a ? 'socks4a' : 'socks4';
  session.target = `${host}:${port}`;
  if (ctx.auth) {
    reply4(socket, SOCKS4.rejected);
    throw new Refused(
      'LISTENER_AUTH',
      'SOCKS4 cannot carry a password and this listener requires one: use SOCKS5',
    );
  }
  if (command !== COMMAND.connect || port === 0 || host === '') {
    reply4(socket, SOCKS4.rejected);
    throw new Refused(
      'BAD_REQUEST',
      command !== COMMAND.connect ? 'only CONNECT is supported' : 'empty host or port 0',
    );
  }
  return {
    protocol: session.protocol,
    target: { host, port },
    accept: () => reply4(socket, SOCKS4.granted),
    refuse: () => reply4(socket, SOCKS4.rejected),
  };
}

/** A NUL-terminated field; one over MAX_FIELD bytes is the client breaking the protocol. */
async function field(socket: net.Socket, what: string): Promise<string> {
  try {
    return await readCString(socket, MAX_FIELD);
  } catch (error) {
    if (error instanceof ReplyTooLargeError)
      throw new Refused('BAD_REQUEST', `${what} longer than ${MAX_FIELD} bytes`);
    throw error;
  }
}

/** The stream ended, or failed (a reset): the client left before finishing its request. */
function clientWentAway(error: unknown): boolean {
  return error instanceof StreamEndedError || typeof (error as NodeJS.ErrnoException)?.code === 'string';
}

function reply5(socket: net.Socket, code: number): void {
  if (code === SOCKS5_REPLY.succeeded) socket.write(socks5Reply(code));
  else closeGently(socket, socks5Reply(code));
}

function reply4(socket: net.Socket, code: number): void {
  if (code === SOCKS4.granted) socket.write(socks4Reply(code));
  else closeGently(socket, socks4Reply(code));
}
