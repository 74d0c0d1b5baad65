/**
 * Negotiate (Kerberos/SPNEGO) through the onProxyAuth hook against squid's
 * negotiate_kerberos_auth and an MIT KDC made here (test/interop/kdc.ts); the token comes
 * from the system's GSS-API (curl --negotiate), as docs/hops.md's recipe gets it from the
 * `kerberos` package. Without a hook: AUTH_UNSUPPORTED. A token squid cannot verify: AUTH_FAILED.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chain, type ProxyAuthHook } from '../../src/index.js';
import { AUTH_SQUID_BASE, type AuthSquid, authSquidMissing, startAuthSquid } from './auth-squid.js';
import { bannerExchange, expectFailure, httpsGetOver } from './exchange.js';
import { type Kdc, kdcMissing, REALM, startKdc } from './kdc.js';
import { chainOptions, hopUrl, server } from './servers.js';
import { isCi, type Testbed } from './testbed.js';
import { useTestbed } from './use-testbed.js';

const testbed = useTestbed();
const missing = authSquidMissing() ?? kdcMissing();
if (testbed && missing) {
  if (isCi()) it('can start its own KDC and squid (required under CI=true)', () => expect.fail(missing));
  else it.skip(`needs its own KDC and squid: ${missing}`, () => {});
}

describe.runIf(testbed && !missing)('Negotiate through onProxyAuth, real KDC and squid', () => {
  const bed = testbed as Testbed;
  let kdc: Kdc;
  let squid: AuthSquid;
  const hop = () => `http://localhost:${squid.negotiate}`;
  const negotiate: ProxyAuthHook = async ({ challenges }) =>
    challenges.some((c) => c.scheme === 'negotiate')
      ? { headers: { 'Proxy-Authorization': `Negotiate ${await kdc.token()}` } }
      : undefined;

  beforeAll(async () => {
    kdc = await startKdc(AUTH_SQUID_BASE.negotiate + 8);
    squid = await startAuthSquid(AUTH_SQUID_BASE.negotiate, {
      keytab: kdc.keytab,
      realm: REALM,
      env: kdc.env,
    });
  });
  afterAll(async () => {
    await squid?.stop();
    await kdc?.stop();
  });

  it('alone and in the middle of a chain, squid logs the Kerberos principal', async () => {
    const alone = new Chain([hop()], { ...chainOptions(bed), onProxyAuth: negotiate });
    await bannerExchange(await alone.connect(bed.origins.banner), bed);
    const middle = new Chain(
      [hopUrl(bed, server(bed, 'squid-open')), hop(), hopUrl(bed, server(bed, 'dante-open'))],
      {
        ...chainOptions(bed),
        onProxyAuth: negotiate,
      },
    );
    await httpsGetOver(await middle.connect(bed.origins.https), bed);
    const dante = server(bed, 'dante-open');
    const principal = (line: string) => line.includes('TCP_TUNNEL/200') && line.includes(`alice@${REALM}`);
    for (let i = 0; i < 30 && squid.log().filter(principal).length < 2; i++)
      await new Promise((r) => setTimeout(r, 100));
    const tunnels = squid.log().filter(principal);
    expect(tunnels).toHaveLength(2);
    expect(tunnels.some((line) => line.includes(`CONNECT ${dante.host}:${dante.port} `))).toBe(true);
  });

  it('without a hook: AUTH_UNSUPPORTED; a token squid cannot verify: AUTH_FAILED', async () => {
    await expectFailure(new Chain([hop()], chainOptions(bed)).connect(bed.origins.banner), {
      code: 'AUTH_UNSUPPORTED',
      hopIndex: 0,
    });
    const forged = new Chain([hop()], {
      ...chainOptions(bed),
      onProxyAuth: () => ({ headers: { 'Proxy-Authorization': 'Negotiate YIIBAAYGKwYBBQUCoA==' } }),
    });
    await expectFailure(forged.connect(bed.origins.banner), { code: 'AUTH_FAILED', hopIndex: 0 });
  });
});
