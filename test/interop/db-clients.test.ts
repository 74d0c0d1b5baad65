/**
 * Database and protocol clients in Node through `chain.createConnection` / `chain.connect`,
 * against real servers started here: PostgreSQL with pg (a 5 MB result, a Pool), Redis with
 * ioredis (a Connector), MariaDB with mysql2 (a `stream` factory), SMTP (exim4) with
 * nodemailer (`getSocket`), SSH with ssh2 (`sock`).
 * These are the recipes of docs/recipes.md. The first hop is a squid of this suite's own:
 * its access.log must show one tunnel per client connection.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mysqlConnection } from '../../docs/recipes/mysql.js';
import { mailTransport } from '../../docs/recipes/nodemailer.js';
import { pgClient, pgPool } from '../../docs/recipes/pg.js';
import { redisThroughChain } from '../../docs/recipes/redis.js';
import { sshExec } from '../../docs/recipes/ssh2.js';
import { Chain } from '../../src/index.js';
import {
  type DbServer,
  type MailServer,
  startExim,
  startMariadb,
  startPostgres,
  startRedis,
} from './db-servers.js';
import { type OwnSquid, type OwnSshd, startOwnSquid, startOwnSshd } from './own-servers.js';
import { chainOptions, hopUrl, server } from './servers.js';
import { useTestbed } from './use-testbed.js';

const testbed = useTestbed();
/** Ports of this suite (14100-14199 is kept for the program and client suites). */
const PORTS = { squid: 14111, sshd: 14123, postgres: 14132, redis: 14133, mariadb: 14134, smtp: 14135 };

describe.runIf(testbed)('database clients through chain.createConnection', () => {
  const bed = testbed as NonNullable<typeof testbed>;
  const dante = server(bed, 'dante-auth');
  let squid: OwnSquid;
  let chain: Chain;

  beforeAll(async () => {
    squid = await startOwnSquid(PORTS.squid);
    chain = new Chain([squid.url, hopUrl(bed, dante)], chainOptions(bed));
  }, 60_000);

  afterAll(async () => {
    await chain?.close();
    await squid?.stop();
  });

  const tunnels = () =>
    squid.lines().filter((line) => line.includes(`CONNECT ${dante.host}:${dante.port}`)).length;
  async function expectTunnels(before: number, atLeast: number): Promise<void> {
    const until = Date.now() + 5000;
    while (tunnels() - before < atLeast && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(tunnels() - before, 'tunnels in the first hop log').toBeGreaterThanOrEqual(atLeast);
  }

  describe('PostgreSQL with pg', () => {
    let db: DbServer;
    beforeAll(async () => {
      const tls = join(bed.stateDir, 'tls');
      db = await startPostgres(PORTS.postgres, {
        cert: join(tls, 'server.crt'),
        key: join(tls, 'server.key'),
      });
    }, 90_000);
    afterAll(async () => db?.stop());

    const config = () => ({
      host: db.host,
      port: db.port,
      user: 'postgres',
      password: db.password,
      database: 'postgres',
    });

    it('a Client reads a 5 MB result through the chain', async () => {
      const before = tunnels();
      const client = pgClient(chain, config());
      await client.connect();
      const { rows } = await client.query<{ big: string }>("select repeat('x', 5 * 1024 * 1024) as big");
      expect(rows[0]?.big.length).toBe(5 * 1024 * 1024);
      await client.end();
      await expectTunnels(before, 1);
    });

    it('a Pool of 3 runs 9 queries on at most 3 tunnels', async () => {
      const before = tunnels();
      const pool = pgPool(chain, { ...config(), max: 3 });
      const results = await Promise.all(
        Array.from({ length: 9 }, (_, i) =>
          pool.query<{ n: number }>('select $1::int * 2 as n, pg_sleep(0.05)', [i]),
        ),
      );
      expect(results.map((r) => r.rows[0]?.n)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16]);
      expect(pool.totalCount).toBeLessThanOrEqual(3);
      await pool.end();
      await expectTunnels(before, 3);
    });

    it('TLS to PostgreSQL inside the tunnel (pg wraps the stream with tls.connect)', async () => {
      const before = tunnels();
      const client = pgClient(chain, { ...config(), ssl: { ca: readFileSync(bed.ca, 'utf8') } });
      await client.connect();
      const { rows } = await client.query<{ ssl: boolean }>(
        'select ssl from pg_stat_ssl where pid = pg_backend_pid()',
      );
      expect(rows[0]?.ssl).toBe(true);
      await client.end();
      await expectTunnels(before, 1);
    });

    it('a hop failure reaches pg as the ChainError', async () => {
      const bad = new Chain([squid.url, hopUrl(bed, dante, 'wrong')], chainOptions(bed));
      await expect(pgClient(bad, config()).connect()).rejects.toMatchObject({
        name: 'ChainError',
        code: 'AUTH_FAILED',
        hopIndex: 1,
      });
    });
  });

  describe('Redis with ioredis', () => {
    let db: DbServer;
    beforeAll(async () => {
      db = await startRedis(PORTS.redis);
    }, 60_000);
    afterAll(async () => db?.stop());

    it('a Connector that returns chain.createConnection()', async () => {
      const before = tunnels();
      const redis = redisThroughChain(chain, {
        host: db.host,
        port: db.port,
        password: db.password,
        maxRetriesPerRequest: 1,
        retryStrategy: () => null,
      });
      await redis.set('sockschain', 'through the chain');
      expect(await redis.get('sockschain')).toBe('through the chain');
      const big = 'y'.repeat(1 << 20);
      await redis.set('big', big);
      expect(await redis.get('big')).toBe(big);
      await redis.quit();
      await expectTunnels(before, 1);
    });
  });

  describe('MariaDB with mysql2', () => {
    let db: DbServer;
    beforeAll(async () => {
      db = await startMariadb(PORTS.mariadb);
    }, 120_000);
    afterAll(async () => db?.stop());

    it('a stream factory', async () => {
      const before = tunnels();
      const connection = await mysqlConnection(chain, { host: db.host, port: db.port, user: 'root' });
      const [rows] = await connection.query('select 6 * 7 as answer, version() as v');
      expect(rows).toMatchObject([{ answer: 42, v: expect.stringMatching(/MariaDB/) }]);
      await connection.end();
      await expectTunnels(before, 1);
    });
  });

  describe('SMTP with nodemailer', () => {
    let smtp: MailServer;
    beforeAll(async () => {
      smtp = await startExim(PORTS.smtp);
    }, 60_000);
    afterAll(async () => smtp?.stop());

    it('getSocket hands over a tunnel from chain.connect', async () => {
      const before = tunnels();
      const transport = mailTransport(chain, {
        host: smtp.host,
        port: smtp.port,
        secure: false,
        ignoreTLS: true,
      });
      const info = await transport.sendMail({
        from: 'sender@sockschain-test',
        to: 'postmaster@sockschain-test',
        subject: 'through the chain',
        text: 'hello from nodemailer',
      });
      expect(info.accepted).toEqual(['postmaster@sockschain-test']);
      expect(smtp.log()).toMatch(/<= sender@sockschain-test H=.*\[127\.0\.0\.1\].* T="through the chain"/);
      transport.close();
      await expectTunnels(before, 1);
    });
  });

  describe('SSH with ssh2', () => {
    let sshd: OwnSshd;
    beforeAll(async () => {
      sshd = await startOwnSshd(PORTS.sshd);
    }, 60_000);
    afterAll(async () => sshd?.stop());

    it('sock: a tunnel from chain.connect', async () => {
      const before = tunnels();
      const keyFile = sshd.clientArgs[sshd.clientArgs.indexOf('-i') + 1] as string;
      const target = {
        host: sshd.host,
        port: sshd.port,
        username: 'root',
        privateKey: readFileSync(keyFile),
      };
      expect(await sshExec(chain, target, 'echo ssh2-$((6*7))')).toBe('ssh2-42\n');
      await expectTunnels(before, 1);
    });
  });
});
