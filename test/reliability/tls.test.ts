/**
 * Issue #8, TLS: the certificates of https hops and of https targets are verified by default.
 * A wrong host name, an expired or a self-signed certificate fails with TLS_FAILED naming the
 * hop (at hop 1 or 2) or the target; turning verification off is per hop (or per agent for
 * targets), explicit, and never spills over to another hop, to the target, or from
 * NODE_TLS_REJECT_UNAUTHORIZED.
 */
import http from 'node:http';
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chain, ChainError } from '../../src/index.js';
import {
  certs,
  type Fixture,
  startEchoServer,
  startHttpOrigin,
  startHttpProxy,
  startSocksServer,
  type TlsOptions,
} from '../fixtures/index.js';
import { echo, eventually, hopUrl, SECRET, USER } from '../helpers.js';
import { settle, watchSockets } from './helpers.js';

const creds = { user: USER, pass: SECRET };
const BAD: Array<[string, TlsOptions]> = [
  ['self-signed', certs.selfSigned],
  ['for another host name', certs.wrongHost],
  ['expired', certs.expired],
];

let echoServer: Fixture;
let socks: Fixture;
let goodHttps: Fixture;
const badHops: Record<string, Fixture> = {};
const badOrigins: Record<string, Fixture> = {};
const fixtures: Fixture[] = [];

beforeAll(async () => {
  const auth = { username: USER, password: SECRET };
  [echoServer, socks, goodHttps] = await Promise.all([
    startEchoServer(),
    startSocksServer({ versions: [5], auth }),
    startHttpProxy({ auth, tls: certs.localhost }),
  ]);
  fixtures.push(echoServer, socks, goodHttps);
  for (const [name, pair] of BAD) {
    badHops[name] = await startHttpProxy({ tls: pair });
    badOrigins[name] = await startHttpOrigin({ tls: pair });
    fixtures.push(badHops[name] as Fixture, badOrigins[name] as Fixture);
  }
});

afterAll(async () => {
  await Promise.all(fixtures.map((f) => f.close()));
});

const target = () => ({ host: '127.0.0.1', port: echoServer.port });
/** An https hop by name (the test certificates are for localhost). */
const httpsHop = (fixture: Fixture) => `https://localhost:${fixture.port}`;
const socksHop = () => hopUrl('socks5', socks, creds);

describe('https hops are verified by default', () => {
  const cases = BAD.flatMap(([name]) => [0, 1].map((hopIndex) => ({ name, hopIndex })));

  it.each(cases)(
    'a certificate $name at hop $hopIndex fails with TLS_FAILED naming that hop',
    async ({ name, hopIndex }) => {
      const bad = httpsHop(badHops[name] as Fixture);
      // The chain trusts the test CA: only the certificate's own fault can fail it.
      const chain = new Chain(hopIndex === 0 ? [bad, socksHop()] : [socksHop(), bad], {
        ca: certs.ca,
        hopTimeoutMs: 3000,
      });
      const watch = watchSockets();
      const result = await settle(chain.connect(target()));
      watch.stop();
      expect(result.error).toBeInstanceOf(ChainError);
      expect(result.error).toMatchObject({
        code: 'TLS_FAILED',
        phase: 'tls',
        hopIndex,
        hop: `https://localhost:${badHops[name]?.port}`,
      });
      expect((result.error as Error).message).toContain(`hop ${hopIndex + 1} (https://localhost:`);
      expect(watch.sockets[0]?.destroyed).toBe(true);
    },
  );

  it('a certificate from a CA the chain was not given fails too', async () => {
    const result = await settle(new Chain([httpsHop(goodHttps)]).connect(target()));
    expect(result.error).toMatchObject({ code: 'TLS_FAILED', hopIndex: 0 });
  });

  it('the host name checked is the one in the hop URL: an IP the certificate lacks fails', async () => {
    const result = await settle(
      new Chain([`https://127.0.0.1:${badHops['for another host name']?.port}`], { ca: certs.ca }).connect(
        target(),
      ),
    );
    expect(result.error).toMatchObject({ code: 'TLS_FAILED', hopIndex: 0 });
  });
});

describe('opting out is per hop and explicit', () => {
  const selfSigned = () => badHops['self-signed'] as Fixture;
  const optedOut = () => ({
    protocol: 'https' as const,
    host: 'localhost',
    port: selfSigned().port,
    rejectUnauthorized: false,
  });

  it('a hop that opts out works; the same certificate at another hop still fails', async () => {
    const alone = await new Chain([optedOut()]).connect(target());
    expect(await echo(alone, 'opted out')).toBe('opted out');
    alone.destroy();
    const result = await settle(new Chain([optedOut(), httpsHop(selfSigned())]).connect(target()));
    expect(result.error).toMatchObject({ code: 'TLS_FAILED', hopIndex: 1 });
  });

  it("a hop's own rejectUnauthorized: true wins over the chain's false", async () => {
    const strict = {
      protocol: 'https' as const,
      host: 'localhost',
      port: selfSigned().port,
      rejectUnauthorized: true,
    };
    const result = await settle(new Chain([strict], { rejectUnauthorized: false }).connect(target()));
    expect(result.error).toMatchObject({ code: 'TLS_FAILED', hopIndex: 0 });
  });

  it('NODE_TLS_REJECT_UNAUTHORIZED=0 does not turn off the verification of hops', async () => {
    const saved = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    try {
      const result = await settle(new Chain([httpsHop(selfSigned())]).connect(target()));
      expect(result.error).toMatchObject({ code: 'TLS_FAILED', hopIndex: 0 });
    } finally {
      if (saved === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = saved;
    }
  });
});

describe('https targets are verified by default, through the tunnel', () => {
  function get(agent: http.Agent, url: string, options: https.RequestOptions = {}): Promise<number> {
    return new Promise((resolve, reject) => {
      https
        .get(url, { agent, ...options }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        })
        .on('error', reject);
    });
  }

  it.each(BAD.map(([name]) => name))(
    'the agent: a target certificate %s fails with TLS_FAILED naming the target',
    async (name) => {
      const chain = new Chain([socksHop()]);
      const url = `https://localhost:${badOrigins[name]?.port}/`;
      const result = await settle(get(chain.agent({ ca: certs.ca }), url));
      await chain.close();
      expect(result.error).toBeInstanceOf(ChainError);
      expect(result.error).toMatchObject({
        code: 'TLS_FAILED',
        phase: 'tls',
        target: `localhost:${badOrigins[name]?.port}`,
      });
      expect((result.error as Error).message).toContain('the target');
    },
  );

  it.each(BAD.map(([name]) => name))(
    'the dispatcher: a target certificate %s fails with TLS_FAILED naming the target',
    async (name) => {
      const chain = new Chain([socksHop()]);
      const url = `https://localhost:${badOrigins[name]?.port}/`;
      const result = await settle(
        fetch(url, { dispatcher: chain.dispatcher({ ca: certs.ca }) } as unknown as RequestInit),
      );
      await chain.close();
      const cause = (result.error as Error | undefined)?.cause;
      expect(cause).toBeInstanceOf(ChainError);
      expect(cause).toMatchObject({ code: 'TLS_FAILED', target: `localhost:${badOrigins[name]?.port}` });
    },
  );

  it("a hop's opt-out does not reach the target, and the target's does not reach the hops", async () => {
    const selfSigned = badHops['self-signed'] as Fixture;
    const origin = badOrigins['self-signed'] as Fixture;
    const hopOptOut = new Chain([
      { protocol: 'https', host: 'localhost', port: selfSigned.port, rejectUnauthorized: false },
    ]);
    const toTarget = await settle(get(hopOptOut.agent(), `https://localhost:${origin.port}/`));
    expect(toTarget.error).toMatchObject({ code: 'TLS_FAILED', target: `localhost:${origin.port}` });
    const targetOptOut = new Chain([httpsHop(selfSigned)]);
    const toHop = await settle(
      get(targetOptOut.agent({ rejectUnauthorized: false }), `https://localhost:${origin.port}/`),
    );
    expect(toHop.error).toMatchObject({ code: 'TLS_FAILED', hopIndex: 0, phase: 'tls' });
    // Both explicit: it goes through.
    expect(
      await get(hopOptOut.agent({ rejectUnauthorized: false }), `https://localhost:${origin.port}/`),
    ).toBe(200);
    await Promise.all([hopOptOut.close(), targetOptOut.close()]);
    await eventually(() => selfSigned.open() === 0 && origin.open() === 0);
  });
});

describe('plain http stays plain', () => {
  it('an http:// target through an https hop is still checked at the hop', async () => {
    const chain = new Chain([httpsHop(badHops.expired as Fixture)]);
    const origin = await startHttpOrigin();
    fixtures.push(origin);
    const result = await settle(
      new Promise((resolve, reject) => {
        http.get(`http://127.0.0.1:${origin.port}/`, { agent: chain.agent() }, resolve).on('error', reject);
      }),
    );
    await chain.close();
    expect(result.error).toMatchObject({ code: 'TLS_FAILED', hopIndex: 0 });
  });
});
