/**
 * chain.serve(): the local proxy server (proxy-server.ts) with the chain as its upstream,
 * so programs that are not Node (curl, browsers, mail servers) can use the chain.
 */
import type { Chain } from '../chain.js';
import { type ProxyServer, type ProxyServerOptions, startProxyServer } from './proxy-server.js';

export type ServeOptions = Omit<ProxyServerOptions, 'connect' | 'route'>;

export type ServeHandle = ProxyServer;

export function serveChain(chain: Chain, options: ServeOptions): Promise<ServeHandle> {
  const hops = chain.hops.length;
  return startProxyServer({
    ...options,
    route: `${hops} hop${hops === 1 ? '' : 's'}`,
    connect: (target, { signal, trace }) => chain.connect(target, { signal, trace }),
  });
}

export type { ListenerAuth } from './auth.js';
export { connectDirect, type DirectOptions } from './direct.js';
export type { ClientProtocol, ConnectionRecord, ListenerFailure } from './log.js';
export { formatRecord } from './log.js';
export { ListenError, type ProxyServer, type ProxyServerOptions, startProxyServer } from './proxy-server.js';
export type { UpstreamConnect } from './session.js';
