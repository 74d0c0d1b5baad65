/**
 * SOCKS5 reply 0x08 (address type not supported) from a real server: dante listens and
 * connects out on 127.0.0.1 only, so it refuses an IPv6 destination with 0x08. That is a
 * refusal (PROXY_DENIED) whose advice fits what was sent: for an IP literal, "dns: 'local'"
 * cannot help.
 */
import { describe, expect, it } from 'vitest';
import { Chain, ChainError } from '../../src/index.js';
import { chainOptions, hopUrl, server } from './servers.js';
import { useTestbed } from './use-testbed.js';

const testbed = useTestbed();

describe.runIf(testbed)('SOCKS5 reply 0x08 from dante-open', () => {
  const bed = testbed as NonNullable<typeof testbed>;
  it('an IPv6 literal target is PROXY_DENIED with IPv6 advice, not dns: local', async () => {
    const chain = new Chain([hopUrl(bed, server(bed, 'dante-open'))], chainOptions(bed));
    try {
      const error = await chain.connect(`[::1]:${bed.origins.http.port}`).then(
        (socket) => {
          socket.destroy();
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ChainError);
      expect(error).toMatchObject({
        code: 'PROXY_DENIED',
        hopIndex: 0,
        phase: 'handshake',
        reply: 'SOCKS5 reply 0x08 (address type not supported)',
      });
      expect((error as Error).message).toMatch(/takes no IPv6 addresses/);
      expect((error as Error).message).not.toMatch(/dns/);
    } finally {
      await chain.close();
    }
  });
});
