/**
 * The servers' quirks (docs/compatibility.md, "Quirks"), one test each: what the server does
 * and what the library reports for it. Sequential: some of them count connections or depend
 * on the Digest challenges this process remembers.
 */
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { Chain } from '../../src/index.js';
import { bannerExchange, expectFailure } from './exchange.js';
import { cell } from './record.js';
import { chainOptions, deniedAddress, fakeHop, hopUrl, server } from './servers.js';
import type { Address } from './testbed.js';
import { useTestbed } from './use-testbed.js';

const testbed = useTestbed();

/** A TCP relay to `to` that counts the connections it accepts. */
async function countingRelay(
  to: Address,
): Promise<{ port: number; accepted: () => number; close: () => void }> {
  let accepted = 0;
  const relay = net.createServer((client) => {
    accepted++;
    const upstream = net.connect(to.port, to.host);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  return {
    port: (relay.address() as net.AddressInfo).port,
    accepted: () => accepted,
    close: () => relay.close(),
  };
}

if (testbed) {
  const bed = testbed;
  const quirk = (row: string) => ({ table: 'quirks', row, column: 'result' });
  const chain = (hops: string[]) => new Chain(hops, chainOptions(bed));
  const ssh = server(bed, 'ssh-socks');
  const sshAt = (scheme: string) => `${scheme}://${ssh.host}:${ssh.port}`;
  const relays: Array<{ close: () => void }> = [];
  afterAll(() => {
    for (const r of relays) r.close();
  });

  describe('ssh -D closes the connection without a SOCKS reply', () => {
    it.for(['socks5', 'socks4', 'socks4a'])(
      '%s: a closed port is TARGET_UNREACHABLE',
      async (scheme, { task }) => {
        await cell(task, quirk(`ssh -D over ${scheme}: closed port → TARGET_UNREACHABLE`), async () => {
          const target =
            scheme === 'socks4a' ? { host: 'localhost', port: bed.closedTarget.port } : bed.closedTarget;
          const error = await expectFailure(chain([sshAt(scheme)]).connect(target), {
            code: 'TARGET_UNREACHABLE',
            hopIndex: 0,
          });
          expect(error.reply).toBe('closed without a reply');
        });
      },
    );

    it('a destination sshd does not permit is TARGET_UNREACHABLE too', async ({ task }) => {
      await cell(task, quirk('ssh -D: not-permitted destination → TARGET_UNREACHABLE'), async () => {
        await expectFailure(chain([sshAt('socks5')]).connect(deniedAddress(bed, ssh)), {
          code: 'TARGET_UNREACHABLE',
          hopIndex: 0,
        });
      });
    });

    it('in the middle, the next hop it cannot reach is HOP_UNREACHABLE', async ({ task }) => {
      await cell(task, quirk('ssh -D at hop 2, next hop closed → HOP_UNREACHABLE at hop 3'), async () => {
        const hops = [hopUrl(bed, server(bed, 'squid-open')), sshAt('socks5'), fakeHop(bed.closedTarget)];
        await expectFailure(chain(hops).connect(bed.origins.banner), {
          code: 'HOP_UNREACHABLE',
          hopIndex: 2,
        });
      });
    });
  });

  describe('tinyproxy', () => {
    const basic = server(bed, 'tinyproxy-basic');

    it('answers wrong credentials with 401 (not 407): AUTH_FAILED', async ({ task }) => {
      await cell(task, quirk('tinyproxy: wrong credentials → 401 → AUTH_FAILED'), async () => {
        const error = await expectFailure(chain([hopUrl(bed, basic, 'wrong')]).connect(bed.origins.banner), {
          code: 'AUTH_FAILED',
          hopIndex: 0,
        });
        expect(error.reply).toBe('HTTP 401 Unauthorized');
      });
    });

    it('checks credentials before its filter (squid the other way round)', async ({ task }) => {
      await cell(
        task,
        quirk('no credentials, denied target: tinyproxy AUTH_REQUIRED, squid PROXY_DENIED'),
        async () => {
          const denied = deniedAddress(bed, basic);
          await expectFailure(chain([hopUrl(bed, basic, 'none')]).connect(denied), {
            code: 'AUTH_REQUIRED',
            hopIndex: 0,
          });
          const squid = hopUrl(bed, server(bed, 'squid-basic'), 'none');
          await expectFailure(chain([squid]).connect(denied), { code: 'PROXY_DENIED', hopIndex: 0 });
        },
      );
    });

    it('a speaks-first target: its bytes may come in the same read as the 200 head', async ({ task }) => {
      await cell(task, quirk('tinyproxy: banner in the same read as the 200 head, 30 tunnels'), async () => {
        const through = chain([hopUrl(bed, server(bed, 'tinyproxy-open'))]);
        for (let i = 0; i < 30; i++) await bannerExchange(await through.connect(bed.origins.banner), bed);
      });
    });
  });

  describe('squid', () => {
    it('Digest: Basic first, the 407 challenge answered on the same connection', async ({ task }) => {
      await cell(
        task,
        quirk('squid Digest: challenge answered on the same connection (1 TCP connection)'),
        async () => {
          const digest = server(bed, 'squid-digest');
          const relay = await countingRelay(digest);
          relays.push(relay);
          const auth = digest.auth!;
          const url = `http://${auth.username}:${auth.password}@127.0.0.1:${relay.port}`;
          // A fresh chain: nothing is known of this hop yet (what a chain learns is its own).
          const through = chain([url]);
          await bannerExchange(await through.connect(bed.origins.banner), bed);
          expect(relay.accepted()).toBe(1);
          // The chain remembers the challenge: its next CONNECT carries Digest at once.
          await bannerExchange(await through.connect(bed.origins.banner), bed);
          expect(relay.accepted()).toBe(2);
        },
      );
    });

    it('one credential state per user: wrong credentials under another name do not disturb alice', async ({
      task,
    }) => {
      await cell(
        task,
        quirk('squid: wrong credentials for another user while alice tunnels (5 rounds)'),
        async () => {
          for (const name of ['squid-basic', 'squid-digest']) {
            const s = server(bed, name);
            const right = chain([hopUrl(bed, s)]);
            const wrong = chain([hopUrl(bed, s, 'wrong')]);
            for (let round = 0; round < 5; round++) {
              await Promise.all([
                expectFailure(wrong.connect(bed.origins.banner), { code: 'AUTH_FAILED', hopIndex: 0 }),
                ...Array.from({ length: 4 }, async () =>
                  bannerExchange(await right.connect(bed.origins.banner), bed),
                ),
              ]);
            }
          }
        },
      );
    });
  });

  describe('dante and microsocks', () => {
    it('dante takes SOCKS4 with an address, refuses SOCKS4a names (CD 91): PROXY_DENIED', async ({
      task,
    }) => {
      await cell(task, quirk('dante: SOCKS4 works, SOCKS4a → CD 91 → PROXY_DENIED'), async () => {
        const dante = server(bed, 'dante-open');
        await bannerExchange(
          await chain([`socks4://${dante.host}:${dante.port}`]).connect(bed.origins.banner),
          bed,
        );
        const name = { host: 'localhost', port: bed.origins.banner.port };
        const error = await expectFailure(chain([`socks4a://${dante.host}:${dante.port}`]).connect(name), {
          code: 'PROXY_DENIED',
          hopIndex: 0,
        });
        expect(error.reply).toBe('SOCKS4 0x5B');
      });
    });

    it('dante with username auth refuses every SOCKS4 request (no password in SOCKS4)', async ({ task }) => {
      await cell(task, quirk('dante-auth over SOCKS4 → CD 91 → PROXY_DENIED'), async () => {
        const dante = server(bed, 'dante-auth');
        await expectFailure(chain([`socks4://${dante.host}:${dante.port}`]).connect(bed.origins.banner), {
          code: 'PROXY_DENIED',
          hopIndex: 0,
        });
      });
    });

    it('microsocks answers a SOCKS4 request with a SOCKS5 refusal: PROTOCOL_ERROR', async ({ task }) => {
      await cell(task, quirk('microsocks over SOCKS4 → "05 ff" → PROTOCOL_ERROR'), async () => {
        const micro = server(bed, 'microsocks-open');
        await expectFailure(chain([`socks4://${micro.host}:${micro.port}`]).connect(bed.origins.banner), {
          code: 'PROTOCOL_ERROR',
          hopIndex: 0,
        });
      });
    });
  });
}
