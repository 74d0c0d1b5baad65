/**
 * probe's follow-up probes: short exchanges with one hop, reached through the hops before it
 * (`chain.connectThrough`), each reporting what came back (an answer, silence, a reset, a
 * close) and how fast. They carry no credentials except the canary, which repeats the hop's
 * own handshake (credentials included) for a destination the hop refuses by itself.
 */
import type { Duplex } from 'node:stream';
import type { Chain } from '../../chain/chain.js';
import { ChainError } from '../../errors.js';
import type { Hop } from '../../hop.js';
import { AuthMemory } from '../../protocols/auth/memory.js';
import type { HopContext } from '../../protocols/context.js';
import { handshake } from '../../protocols/index.js';
import { formatTarget, type Target } from '../../target.js';

export interface Outcome {
  kind: 'answered' | 'silent' | 'reset' | 'closed' | 'unreached';
  /** What the answer said, e.g. `HTTP 407`, `SOCKS5 method 0x02`, `SOCKS5 reply 0x00`. */
  detail: string;
  /** Answered in the protocol the probe spoke (an HTTP status line, a SOCKS5 method choice). */
  inProtocol: boolean;
  ms: number;
}

/**
 * Writes `request` to hop `path[path.length - 1]` (reached through the others, TLS done for
 * https) and waits for the first bytes of an answer, for at most `timeoutMs`.
 */
export async function ask(
  chain: Chain,
  path: readonly number[],
  request: Buffer,
  timeoutMs: number,
  describe: (first: Buffer) => Described,
): Promise<Outcome> {
  const began = performance.now();
  const ms = () => Math.round(performance.now() - began);
  let socket: Duplex;
  try {
    socket = await chain.connectThrough(path, undefined, { timeoutMs });
  } catch (error) {
    const detail = error instanceof ChainError ? error.code : 'failed';
    return { kind: 'unreached', detail, inProtocol: false, ms: ms() };
  }
  const left = Math.max(1, timeoutMs - ms());
  return new Promise<Outcome>((resolve) => {
    const finish = (kind: Outcome['kind'], detail: string, inProtocol = false) => {
      clearTimeout(timer);
      socket.removeAllListeners('data');
      socket.destroy();
      resolve({ kind, detail, inProtocol, ms: ms() });
    };
    const timer = setTimeout(() => finish('silent', `no answer within ${Math.round(left)} ms`), left);
    socket.once('data', (chunk: Buffer) => {
      const { detail, inProtocol } = describe(chunk);
      finish('answered', detail, inProtocol);
    });
    socket.once('error', (error: NodeJS.ErrnoException) =>
      finish(
        error.code === 'ECONNRESET' || error.code === 'EPIPE' ? 'reset' : 'closed',
        error.code ?? 'error',
      ),
    );
    socket.once('end', () => finish('closed', 'closed without an answer'));
    socket.write(request);
  });
}

export interface Described {
  detail: string;
  inProtocol: boolean;
}

/** `HTTP 407` from the first bytes of a reply (its status line, parsed as protocol bytes). */
export function httpStatus(first: Buffer): Described {
  const line = first.subarray(0, 64).toString('latin1').split('\r\n')[0] ?? '';
  const [version = '', status = ''] = line.split(' ');
  const ok = version.slice(0, 5) === 'HTTP/' && /^\d{3}$/.test(status);
  return ok ? { detail: `HTTP ${status}`, inProtocol: true } : { detail: 'not HTTP', inProtocol: false };
}

export function socksMethod(first: Buffer): Described {
  return first[0] === 0x05
    ? { detail: `SOCKS5 method 0x${(first[1] ?? 0).toString(16).padStart(2, '0')}`, inProtocol: true }
    : { detail: 'not SOCKS5', inProtocol: false };
}

export function connectWithoutCredentials(dest: string): Buffer {
  return Buffer.from(`CONNECT ${dest} HTTP/1.1\r\nHost: ${dest}\r\n\r\n`, 'latin1');
}

export function socks5Greeting(withCredentials: boolean): Buffer {
  return Buffer.from(withCredentials ? [0x05, 0x02, 0x00, 0x02] : [0x05, 0x01, 0x00]);
}

/**
 * The canary: the hop's own handshake (credentials included) for a destination the hop
 * refuses by itself, port 0 of `near` (diagnose passes the hop's own host, so nothing is
 * resolved anywhere new). An answer means the hop speaks its protocol and lets our request
 * through; only the real destination was the problem. Port 0 is refused before any
 * connection is opened onward: squid answers `400`, dante `reply 0x08` (measured in the
 * firewall lab, also with every onward connection of the proxy dropped). A canary to a real
 * address (the hop's own port, as it once was) needs an onward connection, which a firewall
 * cutting the hop's egress drops too, and a filtered target then read as protocol-blocked.
 * Proxies that try port 0 anyway fail at once on a refused connect (tinyproxy `500`,
 * microsocks `reply 0x05`); ssh -D closes right after the request, its way of saying no.
 */
export async function canary(
  chain: Chain,
  path: readonly number[],
  near: Target,
  timeoutMs: number,
): Promise<Outcome> {
  const began = performance.now();
  const ms = () => Math.round(performance.now() - began);
  const position = path[path.length - 1] as number;
  const hop = chain.hops[position] as Hop;
  let socket: Duplex;
  try {
    socket = await chain.connectThrough(path, undefined, { timeoutMs });
  } catch (error) {
    const detail = error instanceof ChainError ? error.code : 'failed';
    return { kind: 'unreached', detail, inProtocol: false, ms: ms() };
  }
  const dest = { host: near.host, port: 0 };
  const asked = `${hop.protocol === 'http' || hop.protocol === 'https' ? 'CONNECT' : 'request'} ${formatTarget(dest)}`;
  let timedOut = false;
  const timer = setTimeout(
    () => {
      timedOut = true;
      socket.destroy();
    },
    Math.max(1, timeoutMs - ms()),
  );
  try {
    await handshake(
      socket,
      canaryContext(position, hop, dest, () => timeoutMs - ms()),
    );
    return { kind: 'answered', detail: `${asked}: tunnel up`, inProtocol: true, ms: ms() };
  } catch (error) {
    if (timedOut) return { kind: 'silent', detail: `${asked}: no answer`, inProtocol: false, ms: ms() };
    if (!(error instanceof ChainError))
      return { kind: 'closed', detail: `${asked}: failed`, inProtocol: false, ms: ms() };
    // An answer, or (stage 'reply') the hop's own word that it cannot reach port 0, which for
    // ssh -D is a close right after the request.
    if (error.replyStarted || error.stage === 'reply') {
      const inProtocol = error.reason !== 'wrong-protocol' && error.reason !== 'malformed';
      return { kind: 'answered', detail: `${asked}: ${error.reply ?? error.code}`, inProtocol, ms: ms() };
    }
    const kind = error.reason === 'reset' ? 'reset' : error.reason === 'closed' ? 'closed' : 'silent';
    const at = error.stage ? ` at the ${error.stage}` : '';
    return { kind, detail: `${asked}: ${error.code}${at}`, inProtocol: false, ms: ms() };
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}

/** A handshake context outside any attempt: the canary keeps its own deadline. */
function canaryContext(index: number, hop: Hop, dest: Target, remainingMs: () => number): HopContext {
  return {
    index,
    hop,
    dest,
    next: undefined,
    remainingMs,
    progress: () => {},
    track: () => {},
    auth: { memory: new AuthMemory(), onProxyAuth: undefined },
  };
}
