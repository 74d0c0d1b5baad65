/**
 * HTTP/2 to an https:// hop against a real h2 proxy: nghttpx (nghttp2-proxy) in front of the
 * test bed's squid-open (nghttpx.ts). At hop 1 each tunnel is one CONNECT stream over one
 * shared connection; in the middle of a chain nghttpx is reached through a tunnel and speaks
 * HTTP/1.1 (h2 is used at hop 1 only: docs/hops.md).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chain, type HopInput } from '../../src/index.js';
import { agentGet, bannerExchange, dispatcherFetch, expectFailure, httpsGetOver } from './exchange.js';
import { hasNghttpx, type Nghttpx, startNghttpx } from './nghttpx.js';
import { chainOptions, hopUrl, server } from './servers.js';
import { isCi } from './testbed.js';
import { useTestbed } from './use-testbed.js';

const testbed = useTestbed();
const present = hasNghttpx();

if (testbed && !present) {
  if (isCi()) {
    it('has nghttpx (required under CI=true)', () => {
      throw new Error('nghttpx not found: scripts/testbed/install.sh installs nghttp2-proxy');
    });
  } else {
    it.skip('needs nghttpx (Debian nghttp2-proxy): scripts/testbed/install.sh', () => {});
  }
}

if (testbed && present) {
  const bed = testbed;
  let proxy: Nghttpx;
  const h2hop = (http2: boolean | 'auto' = true): HopInput => ({
    protocol: 'https',
    host: '127.0.0.1',
    port: proxy.port,
    http2,
  });
  const url = (name: string) => hopUrl(bed, server(bed, name));

  beforeAll(async () => {
    proxy = await startNghttpx(bed, server(bed, 'squid-open').port);
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  describe('nghttpx at hop 1 (http2: true)', () => {
    it('opens sequential tunnels as streams over one connection', async () => {
      const chain = new Chain([h2hop()], chainOptions(bed));
      const before = proxy.connections();
      for (let i = 0; i < 5; i++) await bannerExchange(await chain.connect(bed.origins.banner), bed);
      expect((await httpsGetOver(await chain.connect(bed.origins.https), bed)).origin).toBe('https');
      expect(proxy.connections() - before).toBe(1);
      await chain.close();
    });

    it('carries 64 tunnels in flight on one connection', async () => {
      const chain = new Chain([h2hop()], chainOptions(bed));
      const before = proxy.connections();
      const tunnels = await Promise.all(Array.from({ length: 64 }, () => chain.connect(bed.origins.banner)));
      await Promise.all(tunnels.map((socket) => bannerExchange(socket, bed)));
      expect(proxy.connections() - before).toBe(1);
      await chain.close();
    });

    it("'auto' picks h2 by ALPN too", async () => {
      const chain = new Chain([h2hop('auto')], chainOptions(bed));
      const before = proxy.connections();
      await bannerExchange(await chain.connect(bed.origins.banner), bed);
      await bannerExchange(await chain.connect(bed.origins.banner), bed);
      expect(proxy.connections() - before).toBe(1);
      await chain.close();
    });

    it('is the Duplex the next hops run over: dante, then TLS to stunnel → squid', async () => {
      const chain = new Chain([h2hop(), url('dante-open'), url('stunnel-squid-open')], chainOptions(bed));
      await bannerExchange(await chain.connect(bed.origins.banner), bed);
      expect((await httpsGetOver(await chain.connect(bed.origins.https), bed)).origin).toBe('https');
      await chain.close();
    });

    it('serves the agent (keep-alive) and the dispatcher', async () => {
      const chain = new Chain([h2hop()], chainOptions(bed, { httpForwarding: 'connect' }));
      const agentOptions = { keepAlive: true };
      expect((await agentGet(chain, bed.origins.http.url, bed, agentOptions)).origin).toBe('http');
      expect((await agentGet(chain, bed.origins.https.url, bed, agentOptions)).origin).toBe('https');
      expect((await dispatcherFetch(chain, bed.origins.https.url, bed)).origin).toBe('https');
      await chain.close();
    });

    it("maps squid's refusals passed on by nghttpx (403, 503) to typed errors at hop 1", async () => {
      const chain = new Chain([h2hop()], chainOptions(bed));
      const denied = await expectFailure(chain.connect(bed.deniedTarget), {
        code: 'PROXY_DENIED',
        hopIndex: 0,
      });
      expect(denied.reply).toBe('HTTP 403');
      await expectFailure(chain.connect(bed.closedTarget), { code: 'TARGET_UNREACHABLE', hopIndex: 0 });
      await chain.close();
    });

    it('opens a new connection after the old one is lost', async () => {
      const chain = new Chain([h2hop()], chainOptions(bed));
      const open = await chain.connect(bed.origins.banner);
      const closed = new Promise((resolve) => open.once('close', resolve));
      const before = proxy.connections();
      proxy.cut();
      await closed;
      await bannerExchange(await chain.connect(bed.origins.banner), bed);
      expect(proxy.connections() - before).toBe(1);
      await chain.close();
    });
  });

  describe('nghttpx in the middle of a chain', () => {
    it('squid → nghttpx (TLS through the tunnel, HTTP/1.1) → dante', async () => {
      const chain = new Chain([url('squid-open'), h2hop('auto'), url('dante-open')], chainOptions(bed));
      await bannerExchange(await chain.connect(bed.origins.banner), bed);
      await chain.close();
    });
  });
}
