/**
 * chain.serve(): the local proxy server (proxy-server.ts) with the chain as its upstream,
 * so programs that are not Node (curl, browsers, mail servers) can use the chain.
 */
import type { ChainConnector } from '../chain/connector.js';
import { type ProxyServer, type ProxyServerOptions, startProxyServer } from './proxy-server.js';

/** The options of `startProxyServer` but `connect` and `route`, which the chain provides. */
export type ServeOptions = Omit<ProxyServerOptions, 'connect' | 'route'>;

export type ServeHandle = ProxyServer;

export function serveChain(chain: ChainConnector, options: ServeOptions): Promise<ServeHandle> {
  const hops = chain.hops.length;
  const { mode } = chain.options;
  const label = `${hops} hop${hops === 1 ? '' : 's'}${mode === 'strict' ? '' : ` (${mode})`}`;
  return startProxyServer({
    ...options,
    // NO_PROXY targets (and schemes with no proxy set) go direct: say so in the log.
    route: (target, protocol) => (chain.bypasses(target, { protocol }) ? 'direct' : label),
    connect: (target, { signal, trace, protocol }) => chain.connect(target, { signal, trace, protocol }),
  });
}

export { connectDirect, type DirectOptions } from '../dial/direct.js';
export type { ListenerAuth } from './auth.js';
export type { ClientProtocol, ConnectionRecord, ListenerFailure } from './log.js';
export { formatRecord } from './log.js';
export { ListenError, type ProxyServer, type ProxyServerOptions, startProxyServer } from './proxy-server.js';
export type { UpstreamConnect } from './session.js';
