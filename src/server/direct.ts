/**
 * An upstream with no chain: a plain TCP connection to the target, with the same error
 * type and deadline handling as the chain, for listeners that should connect straight out
 * (the demo's local proxies, tests).
 */
import net from 'node:net';
import { ChainError } from '../errors.js';
import { formatTarget, type Target } from '../target.js';

export interface DirectOptions {
  signal?: AbortSignal | undefined;
  /** Default 10000. */
  timeoutMs?: number | undefined;
}

export function connectDirect(target: Target, options: DirectOptions = {}): Promise<net.Socket> {
  const where = formatTarget(target);
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: target.host, port: target.port, noDelay: true });
    const timer = setTimeout(
      () =>
        fail(
          new ChainError({
            code: 'HOP_TIMEOUT',
            phase: 'tcp',
            target: where,
            message: `timed out connecting to ${where} within ${timeoutMs} ms`,
          }),
        ),
      timeoutMs,
    );
    const onAbort = () =>
      fail(
        new ChainError({
          code: 'ABORTED',
          phase: 'tcp',
          target: where,
          message: `aborted connecting to ${where}`,
        }),
      );
    const onError = (error: NodeJS.ErrnoException) => {
      const dns = error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN';
      fail(
        new ChainError({
          code: dns ? 'DNS_FAILED' : 'TARGET_UNREACHABLE',
          phase: 'tcp',
          target: where,
          message: `cannot connect to ${where}: ${error.code ?? error.message}`,
          cause: error,
        }),
      );
    };
    const cleanup = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.off('error', onError);
    };
    function fail(error: ChainError) {
      cleanup();
      socket.destroy();
      reject(error);
    }
    socket.once('error', onError);
    socket.once('connect', () => {
      cleanup();
      resolve(socket);
    });
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
  });
}
