/**
 * Where every command gets its chain: `--chain URLS` (repeatable, each value may hold several
 * comma/space separated URLs), `--config FILE` (JSON or proxychains.conf), or the environment.
 * Shared by all commands so they agree on precedence and on the wording of errors.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Chain, type ChainOptions } from '../chain.js';
import { ChainError } from '../errors.js';
import { type HopInput, splitHopList } from '../url.js';
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
  if (values.config !== undefined) return chainFromConfigFile(values.config, options);
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

interface JsonConfig {
  hops?: unknown;
  options?: unknown;
}

function chainFromConfigFile(path: string, cliOptions: ChainOptions): Chain {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw configError(`cannot read --config ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  // JSON starts with '{'; a proxychains.conf never does (comments, [sections], directives).
  if (!text.trimStart().startsWith('{')) return Chain.fromProxychainsConf(text, cliOptions);
  let config: JsonConfig;
  try {
    config = JSON.parse(text) as JsonConfig;
  } catch (error) {
    throw configError(`--config ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(config.hops)) {
    throw configError(`--config ${path} needs "hops": an array of hop URLs or hop objects`);
  }
  if (config.options !== undefined && (typeof config.options !== 'object' || config.options === null)) {
    throw configError(`--config ${path}: "options" must be an object`);
  }
  const fileOptions = readCaFiles({ ...(config.options as ChainOptions | undefined) }, dirname(path));
  return new Chain(config.hops as HopInput[], { ...fileOptions, ...cliOptions });
}

/** JSON cannot hold a Buffer: a `ca` that is not PEM text is a path, relative to the config file. */
function readCaFiles(options: ChainOptions, base: string): ChainOptions {
  const load = (entry: unknown): string | Buffer => {
    if (typeof entry !== 'string')
      throw configError('--config: "options.ca" must be PEM text or a file path');
    if (entry.includes('-----BEGIN')) return entry;
    try {
      return readFileSync(resolve(base, entry), 'utf8');
    } catch (error) {
      throw configError(`cannot read CA file ${entry}: ${(error as NodeJS.ErrnoException).code ?? error}`);
    }
  };
  if (options.ca === undefined) return options;
  return { ...options, ca: Array.isArray(options.ca) ? options.ca.map(load) : load(options.ca) };
}

function configError(message: string): ChainError {
  return new ChainError({ code: 'INVALID_CONFIG', phase: 'config', message });
}
