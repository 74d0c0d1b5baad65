/**
 * Config files: JSON `{ "hops": [...], "options": {...} }` (the shape `sockschain --config`
 * reads too), or a proxychains.conf, told apart by the first character (JSON starts with
 * `{`; a proxychains.conf never does). In JSON, `options.ca` is PEM text or a file path,
 * relative to the config file.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ChainFactory } from '../chain/connector.js';
import type { ChainOptions } from '../chain/options.js';
import { ChainError } from '../errors.js';
import type { HopInput } from '../hop.js';
import { parseProxychainsConf } from './proxychains-conf.js';

export interface ConfigFile {
  /** Hop URLs (one string may hold several, comma or space separated) or hop objects. */
  hops: string | HopInput[];
  options: ChainOptions;
}

/** Every key of ChainOptions a JSON config may set. */
const OPTION_KEYS = new Set([
  'timeoutMs',
  'hopTimeoutMs',
  'dns',
  'ca',
  'rejectUnauthorized',
  'mode',
  'chainLength',
  'retries',
  'cooldownMs',
  'noProxy',
  'httpForwarding',
  'pipeline',
]);

export function loadConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw invalid(`cannot read config file ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  if (!text.trimStart().startsWith('{')) {
    const conf = parseProxychainsConf(text, path);
    return { hops: conf.hops, options: conf.options };
  }
  return parseJsonConfig(text, path);
}

export function parseJsonConfig(text: string, path: string): ConfigFile {
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (error) {
    // Never quote the text: it may hold passwords. The position is enough to find the mistake.
    const position = /position (\d+)/.exec(String((error as Error).message))?.[1];
    const where = position === undefined ? '' : ` at ${lineColumn(text, Number(position))}`;
    throw invalid(`config file ${path} is not valid JSON${where}`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw invalid(`config file ${path} must hold an object: { "hops": [...], "options": {...} }`);
  }
  const { hops, options = {}, ...rest } = config as { hops?: unknown; options?: unknown };
  const extra = Object.keys(rest);
  if (extra.length > 0)
    throw invalid(`config file ${path}: unknown key "${extra[0]}" (known: hops, options)`);
  if (!Array.isArray(hops) && typeof hops !== 'string') {
    throw invalid(`config file ${path} needs "hops": an array of hop URLs or hop objects`);
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalid(`config file ${path}: "options" must be an object`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) {
      throw invalid(`config file ${path}: unknown option "${key}" (known: ${[...OPTION_KEYS].join(', ')})`);
    }
  }
  const chainOptions = { ...(options as ChainOptions) };
  if (chainOptions.ca !== undefined) chainOptions.ca = loadCa(chainOptions.ca, dirname(path));
  return { hops: hops as string | HopInput[], options: chainOptions };
}

export function chainFromConfigFile<C>(
  ChainClass: ChainFactory<C>,
  path: string,
  options: ChainOptions = {},
): C {
  const config = loadConfigFile(path);
  return new ChainClass(config.hops, { ...config.options, ...options });
}

/** Reads a CA file; `name` says where the path came from, for the error. */
export function readCaFile(file: string, name: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw invalid(
      `cannot read the CA file ${file} (${name}): ${(error as NodeJS.ErrnoException).code ?? error}`,
    );
  }
}

function loadCa(ca: unknown, base: string): ChainOptions['ca'] {
  const load = (entry: unknown): string => {
    if (typeof entry !== 'string')
      throw invalid('"options.ca" must be PEM text or a file path (or a list of them)');
    return entry.includes('-----BEGIN') ? entry : readCaFile(resolve(base, entry), 'options.ca');
  };
  return Array.isArray(ca) ? ca.map(load) : load(ca);
}

function lineColumn(text: string, position: number): string {
  const before = text.slice(0, position).split('\n');
  return `line ${before.length}, column ${(before[before.length - 1]?.length ?? 0) + 1}`;
}

function invalid(message: string): ChainError {
  return new ChainError({ code: 'INVALID_CONFIG', phase: 'config', message });
}
