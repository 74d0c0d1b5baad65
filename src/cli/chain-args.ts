/**
 * Where every command gets its chain: `--chain URLS` (repeatable, each value may hold several
 * comma/space separated URLs), `--config FILE` (JSON or proxychains.conf), `--pac FILE|URL`
 * (the PAC file picks the hops per target), or the environment (PROXY_PAC among it).
 * Shared by all commands so they agree on precedence and on the wording of errors.
 */
import { Chain, type ChainOptions } from '../chain/chain.js';
import { splitHopList } from '../hop.js';
import { UsageError } from './output/io.js';

export interface ChainArgValues {
  chain?: string[] | undefined;
  config?: string | undefined;
  /** A PAC file: path or http(s) URL. */
  pac?: string | undefined;
  /** The overall deadline for opening a tunnel: `500`, `500ms`, `5s`. */
  timeout?: string | undefined;
}

/** The `util.parseArgs` options behind ChainArgValues, for commands to spread into theirs. */
export const CHAIN_ARG_OPTIONS = {
  chain: { type: 'string', multiple: true, short: 'c' },
  config: { type: 'string' },
  pac: { type: 'string' },
  timeout: { type: 'string' },
} as const;

/** The help lines for those options. */
export const CHAIN_ARG_HELP = `Chain (first that is given wins):
  -c, --chain URLS   hop URLs in order, comma or space separated; repeatable
      --config FILE  a JSON file {"hops": [...], "options": {...}} or a proxychains.conf
      --pac FILE|URL a PAC file that picks the hops per target (FindProxyForURL)
                     (default: PROXY_CHAIN, SOCKSCHAIN_CONFIG, PROXY_PAC or the *_PROXY variables)
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
  const given = [values.chain && '--chain', values.config && '--config', values.pac && '--pac'].filter(
    Boolean,
  );
  if (given.length > 1)
    throw new UsageError(`give the chain with one of --chain, --config, --pac, not ${given.join(' and ')}`);
  if (values.pac !== undefined) return Chain.fromPac(values.pac, options);
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
