/**
 * PAC files (proxy auto-config): `FindProxyForURL(url, host)` evaluated in a QuickJS sandbox
 * (pac-resolver on quickjs-wasi: WebAssembly, no access to Node; Node's `vm` is not a
 * sandbox), per target, with the answer cached per scheme://host:port for a TTL. The answer
 * `PROXY a; SOCKS5 b; DIRECT` is a failover list, each entry a chain of one hop, as browsers
 * read it; the extension `CHAIN url url …` makes one entry a whole chain (docs/configuration.md).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Agent, request } from 'undici';
import type { DnsMode } from '../chain/dns-rule.js';
import type { ChainConfig, ChainOptions } from '../chain/options.js';
import { PAC_ROUTER } from '../chain/scheme-routes.js';
import type { ChainError } from '../errors.js';
import { redactUrl, splitHopList } from '../hop.js';
import { formatTarget, type Target } from '../target.js';
import { invalid, milliseconds } from '../validate.js';
import { pacSandbox } from './pac-sandbox.js';

/** One entry of a PAC answer: direct, or hop URLs in order. */
export type PacRoute = 'direct' | readonly string[];

export interface PacOptions {
  /** How long an answer is reused for the same scheme://host:port, in ms. Default 60000; 0 = never. */
  ttlMs?: number;
  /** A script running longer than this is stopped (an endless loop in a PAC file), in ms. Default 1000. */
  evalTimeoutMs?: number;
}

const DEFAULT_TTL = 60_000;
const CACHE_LIMIT = 1024;

type FindProxy = (url: string, host: string) => Promise<string>;

/**
 * What Chain.fromPac builds: no hops of its own, and the options carrying the router, so
 * that each route the PAC file names becomes a chain with these options.
 */
export function pacConfig(source: string, options: ChainOptions & { pac?: PacOptions }): ChainConfig {
  const { pac, ...rest } = options;
  const router = new PacRouter(loadPacSource(source), rest.dns ?? 'remote', pac);
  return { hops: [], options: Object.assign(rest, { [PAC_ROUTER]: router }) };
}

export class PacRouter {
  readonly #text: Promise<string>;
  readonly #dns: DnsMode;
  readonly #ttl: number;
  readonly #evalMs: number;
  #find: Promise<FindProxy> | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #cache = new Map<string, { routes: PacRoute[]; until: number }>();
  #deadline = Number.POSITIVE_INFINITY;

  constructor(text: Promise<string>, dns: DnsMode, options: PacOptions = {}) {
    this.#text = text;
    this.#dns = dns;
    this.#ttl =
      options.ttlMs === undefined
        ? DEFAULT_TTL
        : milliseconds(options.ttlMs, { name: 'pac.ttlMs', zeroOk: true });
    this.#evalMs =
      options.evalTimeoutMs === undefined
        ? 1000
        : milliseconds(options.evalTimeoutMs, { name: 'pac.evalTimeoutMs' });
    // A failed download is reported at the first connect; keep it from being "unhandled" till then.
    text.catch(() => {});
  }

  /** The routes, in order, for a target reached with `protocol` ('https:', 'http:', …). */
  async routes(target: Target, protocol: string | undefined): Promise<PacRoute[]> {
    const url = pacUrl(target, protocol);
    const cached = this.#cache.get(url);
    if (cached && cached.until > Date.now()) return cached.routes;
    const answer = await this.#evaluate(url, target.host);
    const routes = parsePacAnswer(answer, url);
    if (this.#ttl > 0) {
      if (this.#cache.size >= CACHE_LIMIT) this.#cache.delete(this.#cache.keys().next().value as string);
      this.#cache.set(url, { routes, until: Date.now() + this.#ttl });
    }
    return routes;
  }

  /** One evaluation at a time: the QuickJS VM is single-threaded and its interrupt deadline is shared. */
  #evaluate(url: string, host: string): Promise<string> {
    const run = this.#queue.then(async () => {
      const find = await this.#compile();
      this.#deadline = Date.now() + this.#evalMs;
      try {
        const answer = await find(url, host);
        return typeof answer === 'string' ? answer : '';
      } catch (error) {
        throw pacError(`FindProxyForURL failed for ${url}: ${messageOf(error)}`);
      } finally {
        this.#deadline = Number.POSITIVE_INFINITY;
      }
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  #compile(): Promise<FindProxy> {
    this.#find ??= (async () => {
      const text = await this.#text.catch((error: unknown) => {
        throw pacError(`cannot load the PAC file: ${messageOf(error)}`);
      });
      const [{ QuickJS }, { createPacResolver }] = await Promise.all([
        import('quickjs-wasi'),
        import('pac-resolver'),
      ]);
      const require = createRequire(import.meta.url);
      const qjs = await QuickJS.create({
        wasm: readFileSync(require.resolve('quickjs-wasi/quickjs.wasm')),
        memoryLimit: 32 * 1024 * 1024,
        interruptHandler: () => Date.now() > this.#deadline,
      });
      try {
        return createPacResolver(qjs, text, { sandbox: pacSandbox(this.#dns) }) as FindProxy;
      } catch (error) {
        throw pacError(`the PAC file does not compile: ${messageOf(error)}`);
      }
    })();
    return this.#find;
  }
}

/** What FindProxyForURL sees: scheme://host:port/ (no path: browsers strip it for https too). */
export function pacUrl(target: Target, protocol: string | undefined): string {
  const scheme =
    protocol?.replace(/:$/, '').toLowerCase() ??
    (target.port === 443 ? 'https' : target.port === 80 ? 'http' : 'https');
  return `${scheme}://${formatTarget(target)}/`;
}

/** Browser keywords to hop schemes. SOCKS alone is SOCKS4 in browsers; socks4a also carries names. */
const KEYWORDS: Record<string, string> = {
  PROXY: 'http',
  HTTP: 'http',
  HTTPS: 'https',
  SOCKS: 'socks4a',
  SOCKS4: 'socks4a',
  SOCKS5: 'socks5h',
};

/** `PROXY a:1; SOCKS5 b:2; CHAIN http://c:3 socks5://d:4; DIRECT` to routes; unknown entries are skipped. */
export function parsePacAnswer(answer: string, url: string): PacRoute[] {
  const routes: PacRoute[] = [];
  for (const entry of answer.split(';')) {
    const words = entry.trim().split(/\s+/).filter(Boolean);
    const keyword = words[0]?.toUpperCase();
    if (!keyword) continue;
    if (keyword === 'DIRECT' && words.length === 1) routes.push('direct');
    else if (keyword === 'CHAIN' && words.length > 1) routes.push(words.slice(1).flatMap(splitHopList));
    else if (KEYWORDS[keyword] && words.length === 2) routes.push([`${KEYWORDS[keyword]}://${words[1]}`]);
  }
  if (routes.length === 0) {
    // CHAIN entries may hold user:password@: never echo one.
    const shown = answer.slice(0, 200).replace(/\/\/[^\s/@]*:[^\s@]*@/g, '//***@');
    throw pacError(`the PAC file returned nothing usable for ${url}: ${JSON.stringify(shown)}`);
  }
  return routes;
}

/** A PAC source: an http(s) URL (downloaded directly, never through a proxy), a file, or the script itself. */
export function loadPacSource(source: string): Promise<string> {
  if (/^https?:\/\//i.test(source)) return download(source);
  if (/FindProxyForURL/.test(source)) return Promise.resolve(source);
  try {
    return Promise.resolve(readFileSync(source, 'utf8'));
  } catch (error) {
    throw pacError(`cannot read the PAC file ${source}: ${messageOf(error)}`);
  }
}

/**
 * A dispatcher of its own, not the global one: under `sockschain/register` the global fetch
 * goes through the chain, which for a PAC chain would wait for this very download.
 */
async function download(url: string): Promise<string> {
  const agent = new Agent({ connect: { timeout: 10_000 } });
  try {
    const { statusCode, body } = await request(url, {
      dispatcher: agent,
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    const text = await body.text();
    if (statusCode < 200 || statusCode > 299) throw new Error(`HTTP ${statusCode} from ${redactUrl(url)}`);
    return text;
  } finally {
    await agent.close();
  }
}

function pacError(message: string): ChainError {
  return invalid(`PAC: ${message}`);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
