/**
 * NO_PROXY rules: which targets connect directly instead of through the chain. The syntax is
 * the one users know from curl and undici, plus CIDR ranges (proxychains' `localnet`):
 *
 * - `*` alone: every target;
 * - `example.com`, `.example.com`, `*.example.com`: that domain and every name under it
 *   (curl's rule: label boundaries, so `notexample.com` does not match);
 * - `host:port`, `[v6]:port`, `10.0.0.0/8:80`: only that port;
 * - IP literals (`10.1.2.3`, `::1`, `[::1]`) and CIDR ranges (`10.0.0.0/8`, `fd00::/8`).
 *
 * Names are never resolved here: an IP rule or range matches targets given as IP literals only.
 */
import { BlockList, isIP } from 'node:net';
import { parseTarget, type Target, type TargetInput } from '../target.js';
import { fits, invalid, PORT, parseWhole } from '../validate.js';

export type NoProxyInput = string | readonly string[];

type Rule =
  | { kind: 'all' }
  | { kind: 'domain'; domain: string; port: number | undefined }
  | { kind: 'net'; list: BlockList; port: number | undefined };

const RULES = Symbol('sockschain.noProxyRules');

/** Parsed rules; build with `parseNoProxy`. */
export interface NoProxy {
  /** The entries as given (trimmed, lower-cased), for display. */
  readonly entries: readonly string[];
  readonly [RULES]: readonly Rule[];
}

/**
 * Parses NO_PROXY-style rules: a comma and/or whitespace separated string, or a list.
 * `source` names where they came from (e.g. `NO_PROXY`) in the error for a bad entry.
 */
export function parseNoProxy(input: NoProxyInput | NoProxy | undefined, source = 'noProxy'): NoProxy {
  if (isNoProxy(input)) return input;
  const entries: string[] = [];
  const rules: Rule[] = [];
  if (input !== undefined) {
    if (typeof input !== 'string' && !Array.isArray(input)) {
      throw invalid(`${source} must be a string or a list of strings`);
    }
    const items = typeof input === 'string' ? [input] : input;
    for (const item of items) {
      if (typeof item !== 'string') throw invalid(`${source} must be a string or a list of strings`);
      for (const part of item.split(/[\s,]+/)) {
        const entry = part.trim().toLowerCase();
        if (entry === '') continue;
        entries.push(entry);
        rules.push(parseEntry(entry, `${source} entry ${entries.length} ("${entry}")`));
      }
    }
  }
  return Object.freeze({ entries: Object.freeze(entries), [RULES]: Object.freeze(rules) });
}

/** Whether `target` connects directly (not through the chain) under these rules. */
export function shouldBypass(
  target: TargetInput | Target,
  noProxy: NoProxyInput | NoProxy | undefined,
): boolean {
  const rules = parseNoProxy(noProxy)[RULES];
  if (rules.length === 0) return false;
  const { host, port } = parseTarget(target);
  const family = isIP(host);
  return rules.some((rule) => {
    if (rule.kind === 'all') return true;
    if (rule.port !== undefined && rule.port !== port) return false;
    if (rule.kind === 'domain')
      return family === 0 && (host === rule.domain || host.endsWith(`.${rule.domain}`));
    return family !== 0 && rule.list.check(host, family === 4 ? 'ipv4' : 'ipv6');
  });
}

function isNoProxy(value: unknown): value is NoProxy {
  return typeof value === 'object' && value !== null && RULES in value;
}

function parseEntry(entry: string, where: string): Rule {
  if (entry === '*') return { kind: 'all' };
  if (entry.includes('://')) {
    throw invalid(`${where} is a URL; give a host name, an IP address or a CIDR range, e.g. .example.com`);
  }
  // [v6], [v6]:port, [v6/prefix]
  const bracketed = /^\[([^\]]+)\](?::([^:]*))?$/.exec(entry);
  if (bracketed) return netRule(bracketed[1] ?? '', port(bracketed[2], where), where);
  if (entry.includes('/')) {
    // addr/prefix or addr/prefix:port (the port follows the prefix, so IPv6 stays unambiguous)
    const match = /^([^/]+)\/(\d+)(?::(.*))?$/.exec(entry);
    if (!match) throw invalid(`${where}: a range is written address/prefix, e.g. 10.0.0.0/8 or fd00::/8`);
    return netRule(`${match[1]}/${match[2]}`, port(match[3], where), where);
  }
  if (isIP(entry)) return netRule(entry, undefined, where);
  const hostPort = /^([^:]+):([^:]*)$/.exec(entry);
  const host = hostPort ? (hostPort[1] ?? '') : entry;
  const portNumber = hostPort ? port(hostPort[2], where) : undefined;
  if (isIP(host)) return netRule(host, portNumber, where);
  const domain = host.replace(/^\*?\.?/, '').replace(/\.$/, '');
  if (!/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(domain)) {
    throw invalid(`${where} is not a host name, IP address or CIDR range`);
  }
  return { kind: 'domain', domain, port: portNumber };
}

function netRule(spec: string, portNumber: number | undefined, where: string): Rule {
  const [address = '', prefixText] = spec.split('/');
  const family = isIP(address);
  if (family === 0) throw invalid(`${where}: "${address}" is not an IP address`);
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) {
    throw invalid(`${where}: the prefix length must be 0-${max}`);
  }
  const list = new BlockList();
  list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
  return { kind: 'net', list, port: portNumber };
}

function port(text: string | undefined, where: string): number | undefined {
  if (text === undefined) return undefined;
  const value = parseWhole(text);
  if (!fits(value, PORT)) throw invalid(`${where}: the port must be 1-65535`);
  return value;
}
