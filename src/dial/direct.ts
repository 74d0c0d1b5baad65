/**
 * A direct TCP connection to a target, for the targets NO_PROXY exempts from the chain. Same
 * contract as `chain.connect`: a connected net.Socket, or a ChainError (hopIndex -1, since no
 * hop is involved) with nothing left open.
 */
import net from 'node:net';
import { ChainError, connectFailureCode, connectFailureReason, type FailureReason } from '../errors.js';
import { formatTarget, parseTarget, type Target, type TargetInput } from '../target.js';

export interface DirectOptions {
  signal?: AbortSignal | undefined;
  /** Deadline for the TCP connection, in ms. Default 30000. */
  timeoutMs?: number | undefined;
}

export async function connectDirect(
  target: TargetInput | Target,
  options: DirectOptions = {},
): Promise<net.Socket> {
  const dest = parseTarget(target);
  const where = formatTarget(dest);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const { signal } = options;
  return new Promise((resolve, reject) => {
    const fail = (code: ChainError['code'], message: string, cause?: unknown, reason?: FailureReason) => {
      cleanup();
      socket.destroy();
      reject(new ChainError({ code, phase: 'tcp', target: where, message, cause, reason }));
    };
    const onAbort = () => fail('ABORTED', `aborted while connecting directly to ${where}`);
    const onTimeout = () =>
      fail(
        'TARGET_UNREACHABLE',
        `timed out connecting directly to ${where} (NO_PROXY) within ${timeoutMs} ms: the port is probably filtered`,
        undefined,
        'timeout',
      );
    const onError = (error: NodeJS.ErrnoException) =>
      fail(
        connectFailureCode(error.code),
        `cannot connect directly to ${where} (NO_PROXY): ${error.code ?? error.message}`,
        error,
        connectFailureReason(error.code),
      );
    const onConnect = () => {
      cleanup();
      resolve(socket);
    };
    const cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      socket.off('connect', onConnect);
    };
    const socket = net.connect({ host: dest.host, port: dest.port, noDelay: true });
    const timer = setTimeout(onTimeout, timeoutMs);
    socket.once('error', onError);
    socket.once('connect', onConnect);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
  });
}
