import type { Socket } from 'node:net';
import mysql from 'mysql2/promise';
import type { Chain } from '../../src/index.js';

/** mysql2 (MySQL, MariaDB): its `stream` option takes a factory; the socket connects by itself. */
export function mysqlConnection(
  chain: Chain,
  config: mysql.ConnectionOptions & { host: string; port: number },
): Promise<mysql.Connection> {
  const { host, port } = config;
  return mysql.createConnection({
    ...config,
    stream: () => chain.createConnection({ host, port }) as unknown as Socket,
  });
}
