/** onProxyAuth for SOCKS5: a hop without credentials gets them from the hook when the proxy picks user/password. */
import { describe, expect, it } from 'vitest';
import { Chain, type ProxyAuthRequest } from '../../src/index.js';
import { bannerExchange, expectFailure } from './exchange.js';
import { chainOptions, server } from './servers.js';
import type { Testbed } from './testbed.js';
import { useTestbed } from './use-testbed.js';

const testbed = useTestbed();

describe.runIf(testbed)('onProxyAuth for SOCKS5 hops', () => {
  const bed = testbed as Testbed;
  const bare = (name: string) => {
    const s = server(bed, name);
    return `socks5://${s.host}:${s.port}`;
  };

  it.each(['microsocks-auth', 'dante-auth'])('%s: the hook gives user/password, asked once', async (name) => {
    const calls: ProxyAuthRequest[] = [];
    const auth = server(bed, name).auth;
    const chain = new Chain([bare(name)], {
      ...chainOptions(bed),
      onProxyAuth: (request) => {
        calls.push(request);
        return { username: auth?.username ?? '', password: auth?.password ?? '' };
      },
    });
    await bannerExchange(await chain.connect(bed.origins.banner), bed);
    expect(calls).toEqual([
      {
        hopIndex: 0,
        hop: bare(name),
        challenges: [{ scheme: 'socks5', params: { method: 'username/password' } }],
        attempt: 1,
      },
    ]);
  });

  it('a hook that gives nothing: AUTH_REQUIRED; wrong ones: AUTH_FAILED, the password never shown', async () => {
    const none = new Chain([bare('microsocks-auth')], { ...chainOptions(bed), onProxyAuth: () => undefined });
    await expectFailure(none.connect(bed.origins.banner), { code: 'AUTH_REQUIRED', hopIndex: 0 });
    const wrong = new Chain([bare('microsocks-auth')], {
      ...chainOptions(bed),
      onProxyAuth: () => ({ username: 'alice', password: 'Hook-Wrong9' }),
    });
    const error = await expectFailure(wrong.connect(bed.origins.banner), {
      code: 'AUTH_FAILED',
      hopIndex: 0,
    });
    expect(JSON.stringify(error)).not.toContain('Hook-Wrong9');
  });
});
