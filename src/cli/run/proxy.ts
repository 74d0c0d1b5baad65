/**
 * The private proxy of `sockschain run`: serve's listeners (SOCKS and HTTP) on ephemeral
 * 127.0.0.1 ports, requiring the per-run credential, and the URLs CMD gets for them.
 */
import type { Chain } from '../../chain/chain.js';
import type { ListenerAuth } from '../../server/auth.js';
import { formatRecord } from '../../server/log.js';
import { serveChain } from '../../server/serve.js';
import type { ProxyEndpoints } from './env.js';

export interface RunProxy {
  /** URLs with the credential: for CMD's environment only, never for output. */
  endpoints: ProxyEndpoints;
  close(): Promise<void>;
}

export async function startRunProxy(
  chain: Chain,
  auth: ListenerAuth,
  options: { onLog?: ((line: string) => void) | undefined; color: boolean },
): Promise<RunProxy> {
  const { onLog, color } = options;
  const handle = await serveChain(chain, {
    listen: ['socks5://127.0.0.1:0', 'http://127.0.0.1:0'],
    auth,
    onConnection: onLog && ((record) => onLog(formatRecord(record, { color }))),
  });
  const [socks, http] = handle.address();
  if (!socks || !http) throw new Error('the local proxy did not report its ports');
  const userinfo = `${encodeURIComponent(auth.username)}:${encodeURIComponent(auth.password)}`;
  return {
    endpoints: {
      http: `http://${userinfo}@127.0.0.1:${http.port}`,
      socks: `socks5h://${userinfo}@127.0.0.1:${socks.port}`,
    },
    // CMD has exited: whatever it left open has no reader any more.
    close: async () => void (await handle.close({ drainTimeoutMs: 0 })),
  };
}
