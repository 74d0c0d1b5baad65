import pg from 'pg';
import type { Chain } from '../../src/index.js';

/**
 * node-postgres: its `stream` option makes every connection of a Client or a Pool a tunnel.
 * pg calls `stream.connect(port, host)` itself, so the socket is created without a target.
 */
export function pgPool(chain: Chain, config: pg.PoolConfig): pg.Pool {
  return new pg.Pool({ ...config, stream: () => chain.createConnection() });
}

export function pgClient(chain: Chain, config: pg.ClientConfig): pg.Client {
  return new pg.Client({ ...config, stream: () => chain.createConnection() });
}
