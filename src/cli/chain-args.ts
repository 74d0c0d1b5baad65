/**
 * Where every command gets its chain: `--chain URLS` (repeatable, each value may hold several
 * comma/space separated URLs), `--config FILE` (JSON or proxychains.conf), or the environment.
 * Shared by all commands so they agree on precedence and on the wording of errors.
 */
import { Chain, type ChainOptions } from '../chain.js';
import { splitHopList } from '../url.js';
import { UsageError } from './io.js';

export interface ChainArgValues {
  chain?: string[] | undefined;
  config?: string | undefined;
  /** The overall deadline for opening a tunnel: `500`, `500ms`, `5s`. */
  timeout?: string | undefined;
}

/** The `util.parseArgs` options behind ChainArgValues, for commands to spread into theirs. */
export const CHAIN_ARG_OPTIONS = {
  chain: { type: 'string', multiple: true, short: 'c' },
  config: { type: 'string' },
  timeout: { type: 'string' },
} as const;

/** The help lines for those options. */
export const CHAIN_ARG_HELP = `Chain (first that is given wins):
  -c, --chain URLS   hop URLs in order, comma or space separated; repeatable
      --config FILE  a JSON file {"hops": [...], "options": {...}} or a proxychains.conf
                     (default: PROXY_CHAIN, SOCKSCHAIN_CONFIG or the *_PROXY variables)
      --timeout MS   overall deadline to open a tunnel (e.g. 5000, 5s); default 30s
`;

/** `extra`: options a command adds (e.g. `ca` from its --ca); they win over the config's. */
export function chainFromArgs(
  values: ChainArgValues,
  env: NodeJS.ProcessEnv,
  extra: ChainOptions = {},
): Chain {
  const options: ChainOptions = { ...extra };
  if (values.timeout !== undefined) options.timeoutMs = parseDuration(values.timeout, '--timeout');
  if (values.chain !== undefined && values.config !== undefined) {
    throw new UsageError('give the chain with --chain or with --config, not both');
  }
  if (values.chain !== undefined) {
    const urls = values.chain.flatMap(splitHopList);
    if (urls.length === 0) throw new UsageError('--chain is empty: give at least one hop URL');
    return new Chain(urls, options);
  }
  if (values.config !== undefined) return Chain.fromConfigFile(values.config, options);
  const chain = Chain.fromEnv(env, options);
  if (!chain) {
    throw new UsageError(
      'no chain configured: give --chain URLS (e.g. --chain socks5://127.0.0.1:1080), --config FILE, or set PROXY_CHAIN',
    );
  }
  return chain;
}

/** `5000`, `5000ms`, `5s`, `1.5s` to milliseconds; a UsageError naming the option otherwise. */
export function parseDuration(text: string, option: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$/i.exec(text);
  const value = match ? Number(match[1]) * (match[2]?.toLowerCase() === 's' ? 1000 : 1) : Number.NaN;
  if (!Number.isFinite(value) || value <= 0) {
    throw new UsageError(`${option} must be a positive duration like 5000, 5000ms or 5s, got "${text}"`);
  }
  return value;
}
