/**
 * probe's follow-up probes: short exchanges with one hop, reached through the hops before it
 * (`chain.connectThrough`), each reporting what came back (an answer, silence, a reset, a
 * close) and how fast. They carry no credentials except the canary, which repeats the hop's
 * own handshake (credentials included) for a destination the hop refuses by itself
 * (canary.ts).
 */
import type { Duplex } from 'node:stream';
import type { Chain } from '../../chain/chain.js';
import { ChainError } from '../../errors.js';

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
