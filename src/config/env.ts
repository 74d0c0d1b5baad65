/** Chain.fromEnv (issue #4). */
import type { Chain, ChainOptions } from '../chain.js';

export function chainFromEnv(
  _ChainClass: typeof Chain,
  _env: NodeJS.ProcessEnv = process.env,
  _options: ChainOptions = {},
): Chain | undefined {
  throw new Error('not implemented yet');
}
