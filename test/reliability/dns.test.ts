/**
 * Issue #8, DNS: with the default remote DNS, the target's name is never looked up in this
 * process, over every hop type and over connect, the agent, the dispatcher, serve and the
 * CLI; with `dns: 'local'` it is looked up exactly once per tunnel. dns.lookup (what net and
 * tls use) and dns.promises.lookup are wrapped to count; the fixtures map `localhost` to
 * 127.0.0.1 themselves, so every lookup counted is the library's.
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { syncBuiltinESMExports } from 'node:module';
import { isIP } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { Chain } from '../../src/index.js';
import {
  certs,
  type Fixture,
  startEchoServer,
  startHttpOrigin,
  startHttpProxy,
  startSocksServer,
} from '../fixtures/index.js';
import { echo, hopUrl, SECRET, USER } from '../helpers.js';
import { Capture } from './secrets.js';

const creds = { user: USER, pass: SECRET };
/** Names looked up (an IP literal given to dns.lookup, as server.listen does, is no lookup). */
const lookups: string[] = [];
const count = (host: string) => {
  if (isIP(host) === 0) lookups.push(host);
};
const original = { lookup: dns.lookup, promises: dns.promises.lookup };

beforeAll(() => {
  const counted = dns.lookup as unknown as (...args: unknown[]) => void;
  Object.assign(dns, {
    lookup(this: unknown, host: string, ...rest: unknown[]) {
      count(host);
      return counted.call(this, host, ...rest);
    },
  });
  const countedPromise = dns.promises.lookup as unknown as (...args: unknown[]) => Promise<unknown>;
  Object.assign(dns.promises, {
    lookup(host: string, ...rest: unknown[]) {
      count(host);
      return countedPromise(host, ...rest);
    },
  });
  // ESM named imports of node:dns (src/chain/dns-rule.ts) see the wrappers too.
  syncBuiltinESMExports();
});

afterAll(() => {
  Object.assign(dns, { lookup: original.lookup });
  Object.assign(dns.promises, { lookup: original.promises });
  syncBuiltinESMExports();
});

afterEach(() => {
  lookups.length = 0;
});

let echoServer: Fixture;
let origin: Fixture;
let secureOrigin: Fixture;
const proxies: Record<string, Fixture> = {};
const fixtures: Fixture[] = [];

beforeAll(async () => {
  const auth = { username: USER, password: SECRET };
  [echoServer, origin, secureOrigin, proxies.http, proxies.https, proxies.socks4, proxies.socks5] =
    await Promise.all([
      startEchoServer(),
      startHttpOrigin(),
      startHttpOrigin({ tls: certs.localhost }),
      startHttpProxy({ auth }),
      startHttpProxy({ auth, tls: certs.localhost }),
      startSocksServer({ versions: [4] }),
      startSocksServer({ versions: [5], auth }),
    ]);
  fixtures.push(echoServer, origin, secureOrigin, ...Object.values(proxies));
});

afterAll(async () => {
  await Promise.all(fixtures.map((f) => f.close()));
});

/** Every hop by IP address (reaching a hop by name would be a lookup of the hop, not the target). */
const HOPS = {
  http: () => hopUrl('http', proxies.http as Fixture, creds),
  https: () => hopUrl('https', proxies.https as Fixture, creds),
  socks4a: () => hopUrl('socks4a', proxies.socks4 as Fixture),
  socks5: () => hopUrl('socks5', proxies.socks5 as Fixture, creds),
  socks5h: () => hopUrl('socks5h', proxies.socks5 as Fixture, creds),
};
const NAMES = Object.keys(HOPS) as Array<keyof typeof HOPS>;
const chainOf = (hops: string[], options = {}) =>
  new Chain(hops, { ca: certs.ca, hopTimeoutMs: 3000, ...options });

function get(agent: http.Agent, url: string): Promise<number> {
  const client = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    client
      .get(url, { agent, ca: certs.ca }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

describe('remote DNS (the default): no local lookup of the target name', () => {
  it.each(NAMES)('chain.connect through a %s hop', async (name) => {
    const socket = await chainOf([HOPS[name]()]).connect(`localhost:${echoServer.port}`);
    expect(await echo(socket, 'by name')).toBe('by name');
    socket.destroy();
    expect(lookups).toEqual([]);
  });

  it.each(NAMES)('a %s hop 2 given by name: hop 1 resolves it, not this process', async (name) => {
    const byName = HOPS[name]().replace('127.0.0.1', 'localhost');
    const first = name === 'socks5' ? HOPS.http() : HOPS.socks5();
    const socket = await chainOf([first, byName]).connect(`localhost:${echoServer.port}`);
    expect(await echo(socket, 'names all the way')).toBe('names all the way');
    socket.destroy();
    expect(lookups).toEqual([]);
  });

  it.each([
    ['ending in an HTTP proxy (absolute-form)', () => [HOPS.socks5(), HOPS.http()]],
    ['ending in SOCKS5', () => [HOPS.https(), HOPS.socks5()]],
  ])('the agent, http and https targets, through a chain %s', async (_name, hops) => {
    const chain = chainOf(hops());
    const agent = chain.agent();
    expect(await get(agent, `http://localhost:${origin.port}/`)).toBe(200);
    expect(await get(agent, `https://localhost:${secureOrigin.port}/`)).toBe(200);
    await chain.close();
    expect(lookups).toEqual([]);
  });

  it.each([
    ['ending in an HTTP proxy (absolute-form)', () => [HOPS.socks5(), HOPS.http()]],
    ['ending in SOCKS5', () => [HOPS.https(), HOPS.socks5()]],
  ])('the dispatcher, http and https targets, through a chain %s', async (_name, hops) => {
    const chain = chainOf(hops());
    const dispatcher = chain.dispatcher({ ca: certs.ca });
    for (const url of [`http://localhost:${origin.port}/`, `https://localhost:${secureOrigin.port}/`]) {
      const response = await fetch(url, { dispatcher } as unknown as RequestInit);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    await chain.close();
    expect(lookups).toEqual([]);
  });

  it('chain.serve: a client asking the listener for a name', async () => {
    const chain = chainOf([HOPS.socks5()]);
    const handle = await chain.serve({ listen: 'socks5://127.0.0.1:0' });
    const client = new Chain([(handle.urls()[0] as string).replace('socks5:', 'socks5h:')]);
    const socket = await client.connect(`localhost:${echoServer.port}`);
    expect(await echo(socket, 'served')).toBe('served');
    socket.destroy();
    await handle.close({ drainTimeoutMs: 100 });
    expect(lookups).toEqual([]);
  });

  it.each([
    ['probe', (chain: string) => ['probe', '--chain', chain, `localhost:${echoServer.port}`]],
    ['fetch', (chain: string) => ['fetch', '--chain', chain, `http://localhost:${origin.port}/`]],
    ['check --target', (chain: string) => ['check', '--target', `localhost:${echoServer.port}`, chain]],
  ])('the CLI: %s', async (_name, argv) => {
    const stdout = new Capture();
    const stderr = new Capture();
    const code = await main(argv(HOPS.socks5()), { stdout, stderr, env: { NO_COLOR: '1' } });
    expect({ code, stderr: stderr.text }).toEqual({ code: 0, stderr: '' });
    expect(lookups).toEqual([]);
  });
});

describe("dns: 'local'", () => {
  it.each(NAMES)('looks the target up exactly once, here, and hands the %s hop the address', async (name) => {
    const socket = await chainOf([HOPS[name]()], { dns: 'local' }).connect(`localhost:${echoServer.port}`);
    expect(await echo(socket, 'resolved here')).toBe('resolved here');
    socket.destroy();
    expect(lookups).toEqual(['localhost']);
  });

  it('makes plain socks4 work with a name, with the one lookup', async () => {
    const socket = await chainOf([hopUrl('socks4', proxies.socks4 as Fixture)], { dns: 'local' }).connect(
      `localhost:${echoServer.port}`,
    );
    socket.destroy();
    expect(lookups).toEqual(['localhost']);
    expect(proxies.socks4?.log.at(-1)).toMatchObject({ host: '127.0.0.1' });
  });
});
