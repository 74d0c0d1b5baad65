import type { Socket } from 'node:net';
import { AbstractConnector, Redis, type RedisOptions } from 'ioredis';
import type { Chain } from '../../src/index.js';

/**
 * ioredis: a Connector whose stream is `chain.createConnection()`. ioredis waits for the
 * stream's 'connect' event, which that socket emits once the tunnel is up.
 */
export function redisThroughChain(
  chain: Chain,
  options: RedisOptions & { host: string; port: number },
): Redis {
  class ChainConnector extends AbstractConnector {
    constructor() {
      super(options.disconnectTimeout ?? 2000);
    }
    connect(): Promise<Socket> {
      this.connecting = true;
      const socket = chain.createConnection({ host: options.host, port: options.port });
      this.stream = socket as unknown as Socket;
      return Promise.resolve(this.stream);
    }
  }
  return new Redis({ ...options, Connector: ChainConnector });
}
