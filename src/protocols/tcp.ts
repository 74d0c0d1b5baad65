/** The first hop is reached over plain TCP; everything after it rides on this socket. */
import net from 'node:net';
import { ChainError } from '../errors.js';
import type { Hop } from '../hop.js';

export function dialTcp(
  hop: Hop,
  index: number,
  track: (socket: net.Socket) => void,
  label = index + 1,
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hop.host, port: hop.port, noDelay: true });
    track(socket);
    const onError = (error: NodeJS.ErrnoException) => {
      socket.off('connect', onConnect);
      reject(tcpError(error, hop, index, label));
    };
    const onConnect = () => {
      socket.off('error', onError);
      resolve(socket);
    };
    socket.once('error', onError);
    socket.once('connect', onConnect);
  });
}

function tcpError(error: NodeJS.ErrnoException, hop: Hop, index: number, label: number): ChainError {
  const where = `hop ${label} (${hop.url})`;
  const base = { hopIndex: index, hop: hop.url, phase: 'tcp' as const, target: hop.url, cause: error };
  switch (error.code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
      return new ChainError({
        ...base,
        code: 'DNS_FAILED',
        message: `cannot resolve ${where}: ${error.code}`,
      });
    case 'ETIMEDOUT':
      return new ChainError({
        ...base,
        code: 'HOP_TIMEOUT',
        reason: 'timeout',
        message: `timed out connecting to ${where}: the port is probably filtered by a firewall`,
      });
    case 'ECONNREFUSED':
      return new ChainError({
        ...base,
        code: 'HOP_UNREACHABLE',
        reason: 'refused',
        message: `connection refused by ${where}: nothing listens there, or a firewall rejects it`,
      });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EACCES':
    case 'EPERM':
      return new ChainError({
        ...base,
        code: 'HOP_UNREACHABLE',
        reason: 'unreachable',
        message: `cannot connect to ${where}: ${error.code}: no route there, or a firewall rejects it (ICMP unreachable or admin-prohibited)`,
      });
    default:
      return new ChainError({
        ...base,
        code: 'HOP_UNREACHABLE',
        message: `cannot connect to ${where}: ${error.code ?? error.message}`,
      });
  }
}
