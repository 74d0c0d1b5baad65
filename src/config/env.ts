/**
 * Chain.fromEnv: the chain from PROXY_CHAIN, else from the file SOCKSCHAIN_CONFIG names,
 * else from the PAC file PROXY_PAC names (Chain.fromPac), else a one-hop chain from the standard HTTPS_PROXY / HTTP_PROXY / ALL_PROXY variables;
 * options from SOCKSCHAIN_* and NO_PROXY. Options given in code win over the environment,
 * which wins over the config file. A bad value is an INVALID_CONFIG naming the variable.
 */

import { parseNoProxy } from '../chain/bypass.js';
import type { ChainFactory } from '../chain/connector.js';
import { CHAIN_MODES, type ChainMode } from '../chain/hop-selector.js';
import { type ChainOptions, OptionError } from '../chain/options.js';
import { SCHEME_ROUTES, type SchemeRoutes } from '../chain/scheme-routes.js';
import { ChainError } from '../errors.js';
import { type HopInput, parseHop, parseHops } from '../hop.js';
import { type ConfigFile, loadConfigFile, readCaFile } from './config-file.js';

export function chainFromEnv<C>(
  ChainClass: ChainFactory<C>,
  env: NodeJS.ProcessEnv = process.env,
  options: ChainOptions = {},
): C | undefined {
  const chainList = read(env, 'PROXY_CHAIN');
  const configPath = read(env, 'SOCKSCHAIN_CONFIG');
  const file =
    configPath === undefined ? undefined : prefixed('SOCKSCHAIN_CONFIG', () => loadConfigFile(configPath));
  let hops: string | readonly HopInput[];
  let routes: SchemeRoutes | undefined;
  if (chainList !== undefined) hops = prefixed('PROXY_CHAIN', () => parseHops(chainList));
  else if (file) hops = file.hops;
  else if (read(env, 'PROXY_PAC') !== undefined) {
    // A PAC file picks the hops per target (before the *_PROXY variables: it is the more specific setting).
    const pac = read(env, 'PROXY_PAC') as string;
    return prefixed('PROXY_PAC', () =>
      ChainClass.fromPac(pac, { ...envOptions(env, undefined), ...options }),
    );
  } else {
    const standard = standardProxies(env);
    if (!standard) return undefined;
    ({ hops, routes } = standard);
  }
  const merged: ChainOptions = { ...file?.options, ...envOptions(env, file), ...options };
  if (routes) Object.assign(merged, { [SCHEME_ROUTES]: routes });
  try {
    return new ChainClass(hops, merged);
  } catch (error) {
    // The option's check does not know it came from a variable: name the variable.
    const name = error instanceof OptionError ? OPTION_VARS[error.option] : undefined;
    const fromEnv =
      name !== undefined &&
      options[(error as OptionError).option as keyof ChainOptions] === undefined &&
      read(env, name) !== undefined;
    if (!fromEnv || !(error instanceof ChainError)) throw error;
    throw invalid(`${name}: ${error.message}`);
  }
}

const OPTION_VARS: Record<string, string> = {
  chainLength: 'SOCKSCHAIN_CHAIN_LEN',
  timeoutMs: 'SOCKSCHAIN_TIMEOUT_MS',
  hopTimeoutMs: 'SOCKSCHAIN_HOP_TIMEOUT_MS',
};

/** The SOCKSCHAIN_* options and NO_PROXY (which adds to a config file's rules). */
function envOptions(env: NodeJS.ProcessEnv, file: ConfigFile | undefined): ChainOptions {
  const options: ChainOptions = {};
  const mode = read(env, 'SOCKSCHAIN_MODE');
  if (mode !== undefined) options.mode = modeOf(mode);
  const chainLength = integer(env, 'SOCKSCHAIN_CHAIN_LEN', 1);
  if (chainLength !== undefined) options.chainLength = chainLength;
  const timeoutMs = integer(env, 'SOCKSCHAIN_TIMEOUT_MS', 1);
  if (timeoutMs !== undefined) options.timeoutMs = timeoutMs;
  const hopTimeoutMs = integer(env, 'SOCKSCHAIN_HOP_TIMEOUT_MS', 1);
  if (hopTimeoutMs !== undefined) options.hopTimeoutMs = hopTimeoutMs;
  const retries = integer(env, 'SOCKSCHAIN_RETRIES', 0);
  if (retries !== undefined) options.retries = retries;
  const cooldownMs = integer(env, 'SOCKSCHAIN_COOLDOWN_MS', 0);
  if (cooldownMs !== undefined) options.cooldownMs = cooldownMs;
  const dns = read(env, 'SOCKSCHAIN_DNS');
  if (dns !== undefined) {
    if (dns !== 'remote' && dns !== 'local')
      throw invalid(`SOCKSCHAIN_DNS must be remote or local, got "${dns}"`);
    options.dns = dns;
  }
  const caFile = read(env, 'SOCKSCHAIN_CA_FILE');
  if (caFile !== undefined) options.ca = readCaFile(caFile, 'SOCKSCHAIN_CA_FILE');
  const noProxy = either(env, 'no_proxy', 'NO_PROXY');
  if (noProxy !== undefined) {
    const name = read(env, 'no_proxy') === undefined ? 'NO_PROXY' : 'no_proxy';
    const entries = parseNoProxy(noProxy, name).entries;
    options.noProxy = [...toList(file?.options.noProxy), ...entries];
  }
  return options;
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

function modeOf(text: string): ChainMode {
  const mode = text
    .toLowerCase()
    .replace(/-/g, '_')
    .replace(/_chain$/, '');
  if (CHAIN_MODES.includes(mode as ChainMode)) return mode as ChainMode;
  throw invalid(`SOCKSCHAIN_MODE must be one of ${CHAIN_MODES.join(', ')}, got "${text}"`);
}

function integer(env: NodeJS.ProcessEnv, name: string, min: number): number | undefined {
  const text = read(env, name);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min) {
    throw invalid(`${name} must be a whole number${min > 0 ? ` >= ${min}` : ''}, got "${text}"`);
  }
  return Number(text);
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

/** Runs `build`; a ChainError it throws is re-thrown naming the variable. */
function prefixed<T>(name: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (!(error instanceof ChainError)) throw error;
    const { message } = error;
    throw new ChainError({
      code: error.code,
      phase: error.phase,
      hopIndex: error.hopIndex,
      hop: error.hop,
      message: `${name}: ${message}`,
    });
  }
}

function invalid(message: string): ChainError {
  return new ChainError({ code: 'INVALID_CONFIG', phase: 'config', message });
}
