/** The http.Agent over the chain (issue #3). */
import type http from 'node:http';
import type { Chain } from '../chain.js';

export interface ChainAgentOptions extends http.AgentOptions {
  ca?: string | Buffer | Array<string | Buffer>;
  rejectUnauthorized?: boolean;
}

export function createAgent(_chain: Chain, _options: ChainAgentOptions = {}): http.Agent & { close(): void } {
  throw new Error('not implemented yet');
}
