/**
 * proxychains-ng's configuration format, read the way proxychains-ng reads it: directives
 * first, then `[ProxyList]`, whose every line is a proxy (`type host port [user pass]` or
 * `type://user:pass@host:port`). What each directive becomes is in docs/configuration.md.
 * A directive sockschain cannot honour (dnat, or a word it does not know) is an error that
 * names it and its line: silently dropping it would send traffic somewhere else.
 */
import { readFileSync } from 'node:fs';
import type { ChainFactory } from '../chain/connector.js';
import type { ChainMode } from '../chain/hop-selector.js';
import type { ChainOptions } from '../chain/options.js';
import { ChainError } from '../errors.js';
import { type Hop, type HopSpec, parseHop, redactUrl } from '../hop.js';
import { localnetToNoProxy } from './localnet.js';

export interface ProxychainsConf {
  hops: Hop[];
  options: ChainOptions;
  /** Directives that have nothing to do here (quiet_mode, remote_dns_subnet), with their line. */
  ignored: Array<{ line: number; directive: string }>;
}

const MODES: Record<string, ChainMode> = {
  strict_chain: 'strict',
  dynamic_chain: 'dynamic',
  random_chain: 'random',
  round_robin_chain: 'round_robin',
};

const TYPES: Record<string, HopSpec['protocol'] | 'raw'> = {
  http: 'http',
  // proxychains sends SOCKS4a whenever it has a name to pass on.
  socks4: 'socks4a',
  socks5: 'socks5',
  raw: 'raw',
  // Not proxychains types, but the URLs sockschain takes elsewhere.
  https: 'https',
  socks4a: 'socks4a',
  socks5h: 'socks5h',
};

export function parseProxychainsConf(text: string, source = 'proxychains.conf'): ProxychainsConf {
  const options: ChainOptions = {};
  const hops: Hop[] = [];
  const ignored: ProxychainsConf['ignored'] = [];
  const unsupported: string[] = [];
  const localnet: string[] = [];
  const timeouts: { connect?: number; read?: number } = {};
  let chainLen: { value: number; line: number } | undefined;
  let mode = 'dynamic' as ChainMode; // proxychains-ng's default when no *_chain line is given
  let list = false;
  let raw: { host: string; port: number; line: number } | undefined;
  const fail = (line: number, message: string) => invalid(`${source} line ${line}: ${message}`);

  text.split(/\r?\n/).forEach((rawLine, index) => {
    const line = index + 1;
    const content = rawLine.trim();
    if (content === '' || content.startsWith('#')) return;
    if (list) {
      const proxy = parseProxyLine(content, (message) => fail(line, message));
      if (proxy.protocol === 'raw') {
        // A raw entry is a plain port forward: the proxy after it is reached at its address.
        if (proxy.username !== undefined) throw fail(line, 'a raw entry takes no user or password');
        raw ??= { host: proxy.host, port: proxy.port ?? 0, line };
        return;
      }
      const hop = proxy as HopSpec;
      const spec: HopSpec = raw
        ? {
            ...hop,
            host: raw.host,
            port: raw.port,
            ...(hop.protocol === 'https' ? { servername: hop.host } : {}),
          }
        : hop;
      raw = undefined;
      hops.push(withLine(() => parseHop(spec, hops.length, 'the proxy'), line, source));
      return;
    }
    const [word = '', ...args] = content.split(/\s+/);
    const directive = word.split('=')[0] as string;
    if (content === '[ProxyList]') list = true;
    else if (Object.hasOwn(MODES, content)) mode = MODES[content] as ChainMode;
    else if (directive === 'chain_len')
      chainLen = { value: chainLength(content, (m) => fail(line, m)), line };
    else if (directive === 'tcp_read_time_out') timeouts.read = milliseconds(args[0], (m) => fail(line, m));
    else if (directive === 'tcp_connect_time_out')
      timeouts.connect = milliseconds(args[0], (m) => fail(line, m));
    else if (content === 'proxy_dns' || content === 'proxy_dns_old' || directive === 'proxy_dns_daemon') {
      // Every proxy_dns method means the same here: host names go to the proxy unresolved.
      options.dns = 'remote';
    } else if (directive === 'localnet')
      localnet.push(localnetToNoProxy(args.join(' '), (m) => fail(line, m)));
    else if (content === 'quiet_mode' || directive === 'remote_dns_subnet') {
      // Nothing to silence, and no fake IPs to hand out: names are passed on as names.
      ignored.push({ line, directive });
    } else if (directive === 'dnat') {
      unsupported.push(`line ${line}: dnat (rewriting destinations is not supported; remove it)`);
    } else unsupported.push(`line ${line}: unknown directive "${redactUrl(directive)}"`);
  });

  if (unsupported.length > 0) throw invalid(`${source}: unsupported directives: ${unsupported.join('; ')}`);
  if (raw) throw fail(raw.line, 'a raw entry must be followed by the proxy it forwards to');
  if (hops.length === 0) {
    throw invalid(
      `${source} has no proxies: list them after a [ProxyList] line, e.g. "socks5 127.0.0.1 1080"`,
    );
  }
  options.mode = mode;
  options.dns ??= 'local'; // without proxy_dns, proxychains lets names resolve locally
  if (chainLen && (mode === 'random' || mode === 'round_robin')) {
    if (chainLen.value > hops.length) {
      throw fail(chainLen.line, `chain_len = ${chainLen.value} but [ProxyList] has ${hops.length} proxies`);
    }
    options.chainLength = chainLen.value;
  }
  // A hop's budget: reaching it (connect) and, through the chain, waiting for its reply (read).
  const hopTimeout = Math.max(timeouts.connect ?? 0, timeouts.read ?? 0);
  if (hopTimeout > 0) options.hopTimeoutMs = hopTimeout;
  if (localnet.length > 0) options.noProxy = localnet;
  return { hops, options, ignored };
}

export function chainFromProxychainsConf<C>(
  ChainClass: ChainFactory<C>,
  textOrPath: string,
  options: ChainOptions = {},
): C {
  const isText = textOrPath.includes('\n');
  const conf = parseProxychainsConf(
    isText ? textOrPath : readConf(textOrPath),
    isText ? undefined : textOrPath,
  );
  return new ChainClass(conf.hops, { ...conf.options, ...options });
}

function readConf(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw invalid(
      `cannot read proxychains.conf at ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`,
    );
  }
}

type Proxy = Omit<HopSpec, 'protocol'> & { protocol: HopSpec['protocol'] | 'raw' };

function parseProxyLine(content: string, fail: (message: string) => ChainError): Proxy {
  const fields = content.split(/\s+/);
  const [type = '', host = '', portText, user, pass] = fields;
  if (fields.length === 1 && type.includes('://')) return parseProxyUrl(type, fail);
  const shown = [type, host, portText, user, pass === undefined ? undefined : '***'].filter(
    (f) => f !== undefined,
  );
  const protocol = typeOf(type);
  if (!protocol) {
    throw fail(`unknown proxy type "${type}" in "${shown.join(' ')}" (types: http, socks4, socks5, raw)`);
  }
  if (fields.length < 3 || fields.length > 5) {
    throw fail(
      `a proxy is "type host port [user pass]" or "type://user:pass@host:port", got "${shown.join(' ')}"`,
    );
  }
  const port = Number(portText);
  if (!/^\d+$/.test(portText ?? '') || port < 1 || port > 65535) {
    throw fail(`the port must be 1-65535 in "${shown.join(' ')}"`);
  }
  return { protocol, host, port, username: user, password: pass };
}

function parseProxyUrl(text: string, fail: (message: string) => ChainError): Proxy {
  const scheme = text.slice(0, text.indexOf('://')).toLowerCase();
  const protocol = typeOf(scheme);
  if (!protocol)
    throw fail(`unknown proxy type "${scheme}" in ${redactUrl(text)} (types: http, socks4, socks5, raw)`);
  let url: URL;
  try {
    url = new URL(`http${text.slice(scheme.length)}`);
  } catch {
    throw fail(`not a valid proxy URL: ${redactUrl(text)}`);
  }
  if (url.port === '') throw fail(`a proxy URL needs a port: ${redactUrl(text)}`);
  const decode = (part: string) => {
    try {
      return part === '' ? undefined : decodeURIComponent(part);
    } catch {
      throw fail(`badly percent-encoded user or password in ${redactUrl(text)}`);
    }
  };
  return {
    protocol,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(url.port),
    username: decode(url.username),
    password: decode(url.password),
  };
}

function typeOf(name: string): Proxy['protocol'] | undefined {
  const key = name.toLowerCase();
  return Object.hasOwn(TYPES, key) ? TYPES[key] : undefined;
}

function withLine(build: () => Hop, line: number, source: string): Hop {
  try {
    return build();
  } catch (error) {
    if (!(error instanceof ChainError)) throw error;
    throw invalid(`${source} line ${line}: ${error.message}`);
  }
}

function chainLength(content: string, fail: (message: string) => ChainError): number {
  const match = /^chain_len\s*=?\s*(\d+)$/.exec(content);
  if (!match) throw fail('chain_len is written "chain_len = 2"');
  // proxychains-ng reads 0 as 1.
  return Math.max(1, Number(match[1]));
}

function milliseconds(text: string | undefined, fail: (message: string) => ChainError): number {
  const value = Number(text);
  if (!/^\d+$/.test(text ?? '') || value <= 0)
    throw fail(`a timeout is a positive number of milliseconds, got "${text ?? ''}"`);
  return value;
}

function invalid(message: string): ChainError {
  return new ChainError({ code: 'INVALID_CONFIG', phase: 'config', message });
}
