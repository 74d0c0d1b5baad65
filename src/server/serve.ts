/** chain.serve(): a local SOCKS/HTTP proxy that forwards through the chain (issue #5). */
import type { AddressInfo } from 'node:net';
import type { Chain } from '../chain.js';

export interface ServeOptions {
  /** e.g. 'socks5://127.0.0.1:1080', 'http://127.0.0.1:8080'; repeatable. */
  listen: string | string[];
}

export interface ServeHandle {
  address(): AddressInfo[];
  close(): Promise<void>;
}

export function serveChain(_chain: Chain, _options: ServeOptions): Promise<ServeHandle> {
  throw new Error('not implemented yet');
}
