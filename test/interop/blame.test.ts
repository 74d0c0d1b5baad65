/**
 * Structured blame and probe's diagnosis against the real servers of the test bed (issue 12):
 * wrong passwords, a denied target and a closed port at squid and dante give the stage, reason
 * and cause a real proxy produces; a payload-inspecting firewall (the relay fixture) in front of
 * real squid and dante shows the follow-up probes telling credentials-blocked apart.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { diagnose } from '../../src/cli/probe/diagnose.js';
import { blame, Chain, ChainError } from '../../src/index.js';
import type { Fixture } from '../fixtures/index.js';
import { carries, firstByte, startInspectingRelay } from '../fixtures/inspecting-relay.js';
import { chainOptions, deniedAddress, hopUrl, server } from './servers.js';
import { useTestbed } from './use-testbed.js';

const testbed = useTestbed();

if (testbed) {
  const bed = testbed;
  const relays: Fixture[] = [];
  afterAll(async () => {
    for (const relay of relays) await relay.close();
  });
  const origin = { host: bed.origins.http.host, port: bed.origins.http.port };
  const fail = async (hops: string[], target = origin): Promise<ChainError> => {
    const chain = new Chain(hops, chainOptions(bed, { timeoutMs: 1500, hopTimeoutMs: 1500 }));
    const error = await chain.connect(target).then(
      (socket) => {
        socket.destroy();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ChainError);
    return error as ChainError;
  };

  describe('real proxies: stage, reason and cause', () => {
    it.each(['squid-basic', 'dante-auth', 'tinyproxy-basic'])(
      '%s, wrong password: credentials-rejected at the auth stage',
      async (name) => {
        const s = server(bed, name);
        const error = await fail([hopUrl(bed, s, 'wrong')]);
        expect(error).toMatchObject({ code: 'AUTH_FAILED', stage: 'auth', replyStarted: true, hopIndex: 0 });
        expect(blame(error, { hopCount: 1 })).toMatchObject({
          cause: 'credentials-rejected',
          side: 'hop',
          hopDown: false,
        });
      },
    );

    it.each(['squid-open', 'dante-open'])(
      '%s, denied target: proxy-denied at the reply stage',
      async (name) => {
        const s = server(bed, name);
        const error = await fail([hopUrl(bed, s)], deniedAddress(bed, s));
        expect(error).toMatchObject({ code: 'PROXY_DENIED', stage: 'reply', replyStarted: true });
        expect(blame(error, { hopCount: 1 }).cause).toBe('proxy-denied');
      },
    );

    it.each(['squid-open', 'dante-open'])(
      '%s, closed target port: refused (typed), target-refused, side target',
      async (name) => {
        const error = await fail([hopUrl(bed, server(bed, name))], bed.closedTarget);
        expect(error).toMatchObject({ code: 'TARGET_UNREACHABLE', stage: 'reply', reason: 'refused' });
        expect(blame(error, { hopCount: 1 })).toMatchObject({
          cause: 'target-refused',
          side: 'target',
          link: { from: 0, to: null },
        });
      },
    );

    it('squid → closed port as the next hop: refused on the link hop 1 → hop 2', async () => {
      const closedHop = `socks5://${bed.closedTarget.host}:${bed.closedTarget.port}`;
      const error = await fail([hopUrl(bed, server(bed, 'squid-open')), closedHop]);
      expect(error).toMatchObject({ code: 'HOP_UNREACHABLE', hopIndex: 1, stage: 'tcp', reason: 'refused' });
      expect(blame(error, { hopCount: 2 })).toMatchObject({ cause: 'refused', link: { from: 0, to: 1 } });
    });
  });

  describe('an inspecting firewall in front of real proxies: the diagnosis', () => {
    async function diagnosisFor(
      hop: (relayPort: number) => string,
      upstream: string,
      match: (c: Buffer) => boolean,
      action: 'drop' | 'reset',
    ) {
      const s = server(bed, upstream);
      const relay = await startInspectingRelay({ upstream: { host: s.host, port: s.port }, match, action });
      relays.push(relay);
      const chain = new Chain([hop(relay.port)], chainOptions(bed, { timeoutMs: 1200, hopTimeoutMs: 1200 }));
      const began = performance.now();
      const failure = (await chain.connect(origin).then(
        (socket) => {
          socket.destroy();
          throw new Error('the tunnel opened');
        },
        (error: unknown) => error,
      )) as ChainError;
      const result = await diagnose({
        chain,
        path: [0],
        target: `${origin.host}:${origin.port}`,
        failure,
        totalMs: performance.now() - began,
        deadline: began + 2 * 1200,
      });
      expect(performance.now() - began).toBeLessThan(2 * 1200 + 300);
      return result;
    }

    it.each(['drop', 'reset'] as const)(
      'squid, Proxy-Authorization %s: credentials-blocked, squid answers 407 without them',
      async (action) => {
        const { auth } = server(bed, 'squid-basic');
        const url = (port: number) => `http://${auth?.username}:${auth?.password}@127.0.0.1:${port}`;
        const d = await diagnosisFor(url, 'squid-basic', carries('Proxy-Authorization'), action);
        expect(d).toMatchObject({ cause: 'credentials-blocked', link: { from: null, to: 0 } });
        expect(d.evidence).toContainEqual(expect.objectContaining({ result: 'answered: HTTP 407' }));
      },
    );

    it('dante, RFC 1929 message dropped: credentials-blocked, dante answers the greeting alone', async () => {
      const { auth } = server(bed, 'dante-auth');
      const url = (port: number) => `socks5://${auth?.username}:${auth?.password}@127.0.0.1:${port}`;
      const d = await diagnosisFor(url, 'dante-auth', firstByte(0x01), 'drop');
      expect(d).toMatchObject({ cause: 'credentials-blocked', link: { from: null, to: 0 } });
      expect(d.evidence).toContainEqual(
        expect.objectContaining({
          step: 'SOCKS5 greeting alone to hop 1',
          result: 'answered: SOCKS5 method 0x02',
        }),
      );
    });

    it('squid, every CONNECT dropped: protocol-blocked (the canary gets no answer either)', async () => {
      const d = await diagnosisFor(
        (port) => `http://127.0.0.1:${port}`,
        'squid-open',
        carries('CONNECT '),
        'drop',
      );
      expect(d).toMatchObject({ cause: 'protocol-blocked', link: { from: null, to: 0 } });
    });
  });
}
