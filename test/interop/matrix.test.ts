/**
 * Each server in each position of a chain: alone, first ([X, after]), middle
 * ([before, X, after]) and last ([before, X]), with partners of another protocol. For each:
 * a server-speaks-first exchange, an http target through the agent, an https target through
 * fetch, credentials (right, none, wrong), a denied destination and a closed one, each failure
 * with its code and the hop it names. Pipelining cells come from pipelining.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { Chain } from '../../src/index.js';
import {
  agentGet,
  bannerExchange,
  dispatcherFetch,
  expectFailure,
  expectNoCredentialsForwarded,
  httpGetOver,
} from './exchange.js';
import { cell } from './record.js';
import {
  type Credentials,
  chainOptions,
  deniedAddress,
  type Expectation,
  expectClosed,
  expectDenied,
  expectedFailure,
  expectNoCredentials,
  expectWrongCredentials,
  fakeHop,
  hopUrl,
  partners,
  ROLES,
  type Role,
} from './servers.js';
import type { Address, Testbed, TestbedServer } from './testbed.js';
import { useTestbed } from './use-testbed.js';

const testbed = useTestbed();

/** The hops around the server for a role, and its index. */
function place(bed: Testbed, s: TestbedServer, role: Role) {
  const { before, after } = partners(bed, s);
  const pre = role === 'middle' || role === 'last' ? [hopUrl(bed, before)] : [];
  const next = role === 'first' || role === 'middle' ? hopUrl(bed, after) : undefined;
  return {
    index: pre.length,
    hasNext: next !== undefined,
    /** The chain with the server (credentials as given), then `nextHop` (default: the partner; null: none). */
    chain: (credentials: Credentials = 'right', nextHop: string | null | undefined = next) =>
      new Chain(
        [...pre, hopUrl(bed, s, credentials), ...(nextHop == null ? [] : [nextHop])],
        chainOptions(bed),
      ),
  };
}

/** A digest-only last hop cannot answer absolute-form requests: the agent tunnels with CONNECT. */
function forwardingFor(s: TestbedServer, isLast: boolean): { forwarding?: 'connect' } {
  return isLast && s.auth?.scheme === 'digest' ? { forwarding: 'connect' } : {};
}

/**
 * The server is asked to connect to `address` (as the target, or as the next hop's address)
 * and must answer as `expected` says; 'opens' is checked by reaching the address.
 */
async function refusal(
  bed: Testbed,
  s: TestbedServer,
  role: Role,
  expected: Expectation,
  address: Address,
  credentials: Credentials = 'right',
): Promise<void> {
  const spot = place(bed, s, role);
  if (expected.outcome === 'opens') {
    if (address.port === bed.origins.banner.port) {
      await bannerExchange(await spot.chain(credentials).connect(address), bed);
      return;
    }
    // Reaching a live refused address: the server's is the last hop, the address the target.
    const socket = await spot.chain(credentials, null).connect(address);
    const echo = await httpGetOver(socket, address.host, address.port);
    expect(echo.origin).toBe('denied-target-reached');
    return;
  }
  const want = expectedFailure(expected.outcome, spot.index, spot.hasNext);
  const chain = spot.hasNext ? spot.chain(credentials, fakeHop(address)) : spot.chain(credentials);
  await expectFailure(chain.connect(spot.hasNext ? bed.origins.banner : address), want);
}

if (testbed) {
  const bed = testbed;
  const banner = bed.origins.banner;
  describe.concurrent.each(bed.servers.map((s) => [s.name, s] as const))('%s', (name, s) => {
    describe.each(ROLES.map((r) => [r] as const))('%s', (role) => {
      const spec = (column: string, na?: string) => ({ table: 'matrix', row: `${name} ${role}`, column, na });
      const spot = place(bed, s, role);
      const isLast = !spot.hasNext;

      it('connect: the banner server speaks first, then echoes', async ({ task }) => {
        await cell(task, spec('connect'), async () => {
          await bannerExchange(await spot.chain().connect(banner), bed);
        });
      });

      it('http target through the agent (origin sees no proxy credentials)', async ({ task }) => {
        const forwarding = forwardingFor(s, isLast);
        await cell(task, spec('http'), async () => {
          if (forwarding.forwarding) {
            // The default (absolute-form) fails and says what to do; then CONNECT works.
            const error = await agentGet(spot.chain(), bed.origins.http.url, bed).then(
              () => undefined,
              (e: unknown) => e as Error,
            );
            expect(error?.message).toMatch(/forwarding: 'connect'/);
          }
          const echo = await agentGet(spot.chain(), bed.origins.http.url, bed, forwarding);
          expect(echo.origin).toBe('http');
          expectNoCredentialsForwarded(echo);
          if (forwarding.forwarding) {
            return {
              note: "Digest last hop: absolute-form requests cannot answer a Digest challenge, so http:// targets need forwarding: 'connect' (the default fails with AUTH_FAILED and says so)",
            };
          }
        });
      });

      it('https target through fetch (TLS to the target inside the tunnel)', async ({ task }) => {
        await cell(task, spec('https'), async () => {
          const echo = await dispatcherFetch(spot.chain(), bed.origins.https.url, bed);
          expect(echo.origin).toBe('https');
        });
      });

      it('right credentials: two tunnels in a row', async ({ task }) => {
        await cell(task, spec('auth', s.auth ? undefined : 'no authentication configured'), async () => {
          const chain = spot.chain();
          await bannerExchange(await chain.connect(banner), bed);
          await bannerExchange(await chain.connect(banner), bed);
        });
      });

      it('no credentials', async ({ task }) => {
        const expected = expectNoCredentials(s);
        await cell(task, spec('AUTH_REQUIRED', expected.na), () =>
          refusal(bed, s, role, expected, banner, 'none'),
        );
      });

      it('wrong credentials', async ({ task }) => {
        const expected = expectWrongCredentials(s);
        await cell(task, spec('AUTH_FAILED', expected.na), () =>
          refusal(bed, s, role, expected, banner, 'wrong'),
        );
      });

      it('a denied destination', async ({ task }) => {
        const expected = expectDenied(s);
        await cell(task, spec('PROXY_DENIED', expected.na), () =>
          refusal(bed, s, role, expected, deniedAddress(bed, s)),
        );
      });

      it(`a closed port (${isLast ? 'the target' : 'as the next hop'})`, async ({ task }) => {
        const expected = expectClosed(s);
        await cell(task, spec('TARGET_UNREACHABLE', expected.na), () =>
          refusal(bed, s, role, expected, bed.closedTarget),
        );
      });
    });
  });
}
