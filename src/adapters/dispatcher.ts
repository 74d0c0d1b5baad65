/** The undici dispatcher over the chain (issue #3). */
import type { Dispatcher } from 'undici';
import type { Chain } from '../chain.js';

export interface ChainDispatcherOptions {
  connections?: number;
  ca?: string | Buffer | Array<string | Buffer>;
  rejectUnauthorized?: boolean;
}

export function createDispatcher(_chain: Chain, _options: ChainDispatcherOptions = {}): Dispatcher {
  throw new Error('not implemented yet');
}
