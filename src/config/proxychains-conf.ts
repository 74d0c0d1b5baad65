/** Chain.fromProxychainsConf (issue #4). */
import type { Chain, ChainOptions } from '../chain.js';

export function chainFromProxychainsConf(
  _ChainClass: typeof Chain,
  _textOrPath: string,
  _options: ChainOptions = {},
): Chain {
  throw new Error('not implemented yet');
}
