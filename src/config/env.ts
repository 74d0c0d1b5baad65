/**
 * The chain the environment configures, as hops and options (Chain.fromEnv builds it):
 * the hops from PROXY_CHAIN, else from the file SOCKSCHAIN_CONFIG names, else from the PAC
 * file PROXY_PAC names (no hops: the PAC file picks them per target), else from the standard
 * HTTPS_PROXY / HTTP_PROXY / ALL_PROXY variables; options from the variables of the option
 * table (SOCKSCHAIN_*, NO_PROXY). Options given in code win over the environment, which wins
 * over the config file. A bad value is an INVALID_CONFIG naming the variable: each variable
 * is checked as it is read, with its name.
 */

import { parseNoProxy } from '../chain/bypass.js';
import { CHAIN_MODES } from '../chain/hop-selector.js';
import {
  type ChainConfig,
  type ChainOptions,
  type EnvText,
  OPTIONS,
  type OptionName,
} from '../chain/options.js';
import { SCHEME_ROUTES, type SchemeRoutes } from '../chain/scheme-routes.js';
import { ChainError, describeValue } from '../errors.js';
import { type HopInput, parseHop, parseHops, splitHopList } from '../hop.js';
import { invalid, numberFromText } from '../validate.js';
import { type ConfigFile, loadConfigFile, readCaFile } from './config-file.js';
import { pacConfig } from './pac.js';

/** Undefined when no chain is configured. */
export function envConfig(
  env: NodeJS.ProcessEnv = process.env,
  options: ChainOptions = {},
): ChainConfig | undefined {
  const chainList = read(env, 'PROXY_CHAIN');
  const configPath = read(env, 'SOCKSCHAIN_CONFIG');
  const file =
    configPath === undefined ? undefined : prefixed('SOCKSCHAIN_CONFIG', () => loadConfigFile(configPath));
  const pac = read(env, 'PROXY_PAC');
  let hops: string | readonly HopInput[];
  let routes: SchemeRoutes | undefined;
  if (chainList !== undefined) hops = prefixed('PROXY_CHAIN', () => parseHops(chainList));
  else if (file) hops = file.hops;
  else if (pac !== undefined) {
    // A PAC file picks the hops per target (before the *_PROXY variables: it is the more specific setting).
    const merged = { ...envOptions(env, undefined, 1), ...options };
    return prefixed('PROXY_PAC', () => pacConfig(pac, merged));
  } else {
    const standard = standardProxies(env);
    if (!standard) return undefined;
    ({ hops, routes } = standard);
  }
  const hopCount = typeof hops === 'string' ? splitHopList(hops).length : hops.length;
  const merged: ChainOptions = { ...file?.options, ...envOptions(env, file, hopCount), ...options };
  if (routes) Object.assign(merged, { [SCHEME_ROUTES]: routes });
  return { hops, options: merged };
}

/** The options the option table's variables set (NO_PROXY adds to a config file's rules). */
function envOptions(env: NodeJS.ProcessEnv, file: ConfigFile | undefined, hopCount: number): ChainOptions {
  const options: Partial<Record<OptionName, unknown>> = {};
  for (const name of Object.keys(OPTIONS) as OptionName[]) {
    const source = OPTIONS[name].env;
    const variable = source?.names.find((candidate) => read(env, candidate) !== undefined);
    if (source === undefined || variable === undefined) continue;
    options[name] = fromText(read(env, variable) as string, variable, source.text, Math.max(hopCount, 1));
  }
  if (options.noProxy !== undefined) {
    options.noProxy = [...toList(file?.options.noProxy), ...(options.noProxy as string[])];
  }
  return options as ChainOptions;
}

/** A variable's text as the option's value, checked under the variable's name. */
function fromText(text: string, variable: string, how: EnvText, hopCount: number): unknown {
  switch (how.kind) {
    case 'whole':
      return numberFromText(text, {
        name: variable,
        whole: true,
        min: how.min,
        ...(how.max === 'hops' ? { max: hopCount, maxLabel: `the number of hops (${hopCount})` } : {}),
      });
    case 'choice':
      return choice(text, variable, how.choices, text);
    case 'mode': {
      // proxychains' names too: dynamic_chain, Round-Robin.
      const mode = text
        .toLowerCase()
        .replace(/-/g, '_')
        .replace(/_chain$/, '');
      return choice(mode, variable, CHAIN_MODES, text);
    }
    case 'file':
      return readCaFile(text, variable);
    case 'rules':
      return parseNoProxy(text, variable).entries;
  }
}

function choice(value: string, variable: string, choices: readonly string[], text: string): string {
  if (choices.includes(value)) return value;
  const said = choices.length === 2 ? choices.join(' or ') : `one of ${choices.join(', ')}`;
  throw invalid(`${variable} must be ${said}, got ${describeValue(text)}`);
}

/**
 * HTTPS_PROXY for https targets, HTTP_PROXY for http, ALL_PROXY for the rest and as their
 * fallback, lower-case names first (as curl and proxy-from-env read them; undici reads both).
 * As undici does, https targets fall back to HTTP_PROXY; http targets without HTTP_PROXY or
 * ALL_PROXY connect directly, as in curl and undici.
 */
function standardProxies(
  env: NodeJS.ProcessEnv,
): { hops: HopInput[]; routes: SchemeRoutes | undefined } | undefined {
  const https = either(env, 'https_proxy', 'HTTPS_PROXY');
  const http = either(env, 'http_proxy', 'HTTP_PROXY');
  const all = either(env, 'all_proxy', 'ALL_PROXY');
  if (https === undefined && http === undefined && all === undefined) return undefined;
  const wanted = { https: https ?? all ?? http, other: all ?? https ?? http, http: http ?? all };
  // The http route's hop goes last: absolute-form forwarding speaks to chain.hops' last hop.
  const urls = [...new Set([wanted.https, wanted.other, wanted.http].filter((u) => u !== undefined))];
  if (wanted.http !== undefined) urls.push(...urls.splice(urls.indexOf(wanted.http), 1));
  const hops = urls.map((url) => {
    const name = varFor(env, url);
    return prefixed(name, () => parseHop(url, 0, 'the proxy URL'));
  });
  if (hops.length === 1 && wanted.http !== undefined) return { hops, routes: undefined };
  const route = (url: string | undefined) => (url === undefined ? 'direct' : [urls.indexOf(url)]);
  return {
    hops,
    routes: { https: route(wanted.https), http: route(wanted.http), other: route(wanted.other) },
  };
}

function varFor(env: NodeJS.ProcessEnv, url: string): string {
  const names = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY'];
  return names.find((name) => read(env, name) === url) ?? 'HTTPS_PROXY';
}

/** A variable's value, trimmed; empty counts as unset. */
function read(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === '' ? undefined : value;
}

function either(env: NodeJS.ProcessEnv, lower: string, upper: string): string | undefined {
  return read(env, lower) ?? read(env, upper);
}

function toList(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : [...value];
}

/** Runs `build`; an INVALID_CONFIG it throws is re-thrown naming the variable. */
function prefixed<T>(name: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (!(error instanceof ChainError) || error.code !== 'INVALID_CONFIG') throw error;
    throw invalid(`${name}: ${error.message}`, { hopIndex: error.hopIndex, hop: error.hop });
  }
}
