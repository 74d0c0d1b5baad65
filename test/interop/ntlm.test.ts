/**
 * NTLM against a real squid (ntlm_fake_auth: any password passes, the message flow is
 * checked) at every position of a chain, through chain.connect, the agent (keep-alive kept:
 * NTLM authenticates the connection) and the fetch dispatcher; refusals as squid words them;
 * a Negotiate-only port for the "scheme we cannot answer" error. Our own squid starts here.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chain } from '../../src/index.js';
import { AUTH_SQUID_BASE, type AuthSquid, authSquidMissing, startAuthSquid } from './auth-squid.js';
import { bannerExchange, dispatcherFetch, expectFailure, httpsGetOver } from './exchange.js';
import { chainOptions, hopUrl, server } from './servers.js';
import { isCi, type Testbed } from './testbed.js';
import { useTestbed } from './use-testbed.js';

const testbed = useTestbed();
const missing = authSquidMissing();
if (testbed && missing) {
  if (isCi()) it('can start its own squid (required under CI=true)', () => expect.fail(missing));
  else it.skip(`needs its own squid: ${missing}`, () => {});
}

/** Lines of squid's access.log that match, waiting a little: squid writes its log lines after the fact. */
async function logLines(
  squid: AuthSquid,
  match: (line: string) => boolean,
  atLeast: number,
): Promise<string[]> {
  for (let i = 0; ; i++) {
    const lines = squid.log().filter(match);
    if (lines.length >= atLeast || i >= 30) return lines;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.runIf(testbed && !missing)('NTLM at a squid of our own', () => {
  const bed = testbed as Testbed;
  let squid: AuthSquid;
  const ntlmHop = (user: string, password = 'any-Passw0rd') =>
    `http://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${squid.ntlm}`;
  const url = (name: string) => hopUrl(bed, server(bed, name));
  const tunnelsOf = (user: string, dest: string) => (line: string) =>
    line.includes('TCP_TUNNEL/200') && line.includes(`CONNECT ${dest} `) && line.includes(user);

  beforeAll(async () => {
    squid = await startAuthSquid(AUTH_SQUID_BASE.ntlm);
  });
  afterAll(async () => {
    await squid?.stop();
  });

  it('alone: negotiate, challenge and authenticate on one connection (DOMAIN\\user URL form)', async () => {
    const chain = new Chain([ntlmHop('CORP\\alone')], chainOptions(bed));
    await bannerExchange(await chain.connect(bed.origins.banner), bed);
    const { host, port } = bed.origins.banner;
    const lines = await logLines(squid, tunnelsOf('CORP\\\\alone', `${host}:${port}`), 1);
    expect(lines).toHaveLength(1);
  });

  it('first, before the test bed dante: the hop object form with domain and workstation', async () => {
    const hop = {
      protocol: 'http' as const,
      host: '127.0.0.1',
      port: squid.ntlm,
      auth: { scheme: 'ntlm' as const, user: 'first', password: 'pw', domain: 'CORP', workstation: 'WS1' },
    };
    const chain = new Chain([hop, url('dante-open')], chainOptions(bed));
    await httpsGetOver(await chain.connect(bed.origins.https), bed);
    const dante = server(bed, 'dante-open');
    expect(await logLines(squid, tunnelsOf('CORP\\\\first', `${dante.host}:${dante.port}`), 1)).toHaveLength(
      1,
    );
  });

  it('in the middle: squid-open, NTLM squid, dante-open', async () => {
    const chain = new Chain(
      [url('squid-open'), ntlmHop('CORP\\middle'), url('dante-open')],
      chainOptions(bed),
    );
    await httpsGetOver(await chain.connect(bed.origins.https), bed);
    const dante = server(bed, 'dante-open');
    expect(await logLines(squid, tunnelsOf('CORP\\\\middle', `${dante.host}:${dante.port}`), 1)).toHaveLength(
      1,
    );
  });

  it('last, behind a SOCKS hop', async () => {
    const chain = new Chain([url('dante-open'), ntlmHop('CORP\\last')], chainOptions(bed));
    await bannerExchange(await chain.connect(bed.origins.banner), bed);
  });

  it('a user squid refuses: AUTH_FAILED naming NTLM at that hop, alone and in the middle', async () => {
    const alone = new Chain([ntlmHop('CORP\\mallory', 'Secret-Pw1')], chainOptions(bed));
    const error = await expectFailure(alone.connect(bed.origins.banner), {
      code: 'AUTH_FAILED',
      hopIndex: 0,
    });
    expect(error.message).toMatch(/NTLM credentials rejected \(HTTP 407/);
    expect(JSON.stringify(error)).not.toContain('Secret-Pw1');
    const middle = new Chain(
      [url('squid-open'), ntlmHop('CORP\\mallory'), url('dante-open')],
      chainOptions(bed),
    );
    await expectFailure(middle.connect(bed.origins.banner), { code: 'AUTH_FAILED', hopIndex: 1 });
  });

  it('a broken flow (an authenticate message on a connection that never negotiated) fails as squid sees it', async () => {
    // What a client that lost NTLM's connection would send: type 3 first, on a new connection.
    const type3 = Buffer.alloc(64);
    type3.write('NTLMSSP\0', 0, 'latin1');
    type3.writeUInt32LE(3, 8);
    const chain = new Chain([`http://127.0.0.1:${squid.ntlm}`], {
      ...chainOptions(bed),
      onProxyAuth: () => ({ headers: { 'Proxy-Authorization': `NTLM ${type3.toString('base64')}` } }),
    });
    const error = await expectFailure(chain.connect(bed.origins.banner), {
      code: 'AUTH_FAILED',
      hopIndex: 0,
    });
    expect(error.message).toMatch(/onProxyAuth's credentials rejected \(HTTP 407/);
  });

  it('the agent keeps its authenticated connection alive: two requests, one tunnel', async () => {
    const chain = new Chain([ntlmHop('CORP\\agent')], chainOptions(bed));
    const agent = chain.agent({ ca: readFileSync(bed.ca), keepAlive: true });
    const sockets = new Set<unknown>();
    try {
      for (let i = 0; i < 2; i++) {
        await new Promise<void>((resolve, reject) => {
          https
            .get(bed.origins.https.url, { agent }, (res) => {
              sockets.add(res.socket);
              expect(res.statusCode).toBe(200);
              res.resume();
              res.on('end', resolve);
            })
            .on('error', reject);
        });
      }
    } finally {
      agent.destroy();
    }
    expect(sockets.size).toBe(1);
    const { host } = new URL(bed.origins.https.url);
    const lines = await logLines(squid, tunnelsOf('CORP\\\\agent', host), 1);
    expect(lines).toHaveLength(1);
  });

  it('the fetch dispatcher, to an https and an http origin (CONNECT: absolute-form cannot carry NTLM)', async () => {
    const chain = new Chain([ntlmHop('CORP\\fetch')], chainOptions(bed));
    await dispatcherFetch(chain, bed.origins.https.url, bed);
    const echo = await dispatcherFetch(chain, bed.origins.http.url, bed);
    expect(Object.keys(echo.headers)).not.toContain('proxy-authorization');
    const { host, port } = bed.origins.http;
    expect(await logLines(squid, tunnelsOf('CORP\\\\fetch', `${host}:${port}`), 1)).toHaveLength(1);
  });

  it('no Basic goes to a hop that offered only NTLM, once the chain has seen its 407', async () => {
    const chain = new Chain([ntlmHop('plainuser')], chainOptions(bed));
    const denied = (line: string) => line.includes('TCP_DENIED/407');
    const before = squid.log().filter(denied).length;
    await bannerExchange(await chain.connect(bed.origins.banner), bed);
    // Preemptive Basic (refused), then negotiate (challenged): two 407s.
    const first = (await logLines(squid, denied, before + 2)).length - before;
    expect(first).toBe(2);
    await bannerExchange(await chain.connect(bed.origins.banner), bed);
    await logLines(squid, tunnelsOf('plainuser', `${bed.origins.banner.host}:${bed.origins.banner.port}`), 2);
    // The second tunnel opens with NTLM's negotiate message: one 407 (the challenge).
    expect(squid.log().filter(denied).length - before - first).toBe(1);
  });

  it('a proxy offering only Negotiate: AUTH_UNSUPPORTED naming it, without blaming the password', async () => {
    const chain = new Chain([`http://alice:Secret-Pw2@127.0.0.1:${squid.negotiate}`], chainOptions(bed));
    const error = await expectFailure(chain.connect(bed.origins.banner), {
      code: 'AUTH_UNSUPPORTED',
      hopIndex: 0,
    });
    expect(error.message).toMatch(/offers only Negotiate/);
    expect(error.message).toMatch(/onProxyAuth/);
    expect(error.message).not.toContain('Secret-Pw2');
  });
});
