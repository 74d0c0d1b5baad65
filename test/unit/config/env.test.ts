/** Chain.fromEnv: PROXY_CHAIN, SOCKSCHAIN_*, config files, the standard *_PROXY variables and NO_PROXY. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chain, ChainError } from '../../../src/index.js';
import {
  certs,
  type Fixture,
  startEchoServer,
  startHttpProxy,
  startSocksServer,
} from '../../fixtures/index.js';
import { echo, expectNoSecret, hopUrl, SECRET, USER } from '../../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sockschain-env-'));
const fixtures: Fixture[] = [];
let echoServer: Fixture;
let socks: Fixture;
let http: Fixture;
let https: Fixture;

beforeAll(async () => {
  echoServer = await startEchoServer();
  socks = await startSocksServer({ versions: [5], auth: { username: USER, password: SECRET } });
  http = await startHttpProxy();
  https = await startHttpProxy({ tls: certs.localhost });
  fixtures.push(echoServer, socks, http, https);
});

afterAll(async () => {
  await Promise.all(fixtures.map((f) => f.close()));
});

function envError(env: NodeJS.ProcessEnv): ChainError {
  try {
    Chain.fromEnv(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ChainError);
    expect((error as ChainError).code).toBe('INVALID_CONFIG');
    expectNoSecret(error);
    return error as ChainError;
  }
  throw new Error('expected an INVALID_CONFIG');
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const socksUrl = () => hopUrl('socks5', socks, { user: USER, pass: SECRET });

describe('PROXY_CHAIN', () => {
  it('is undefined when nothing is configured', () => {
    expect(Chain.fromEnv({})).toBeUndefined();
    expect(Chain.fromEnv({ PROXY_CHAIN: '  ', HTTP_PROXY: '' })).toBeUndefined();
  });

  it('lists the hops in order, separated by commas and/or whitespace, and carries traffic', async () => {
    const chain = Chain.fromEnv({ PROXY_CHAIN: `${hopUrl('http', http)} ,\n ${socksUrl()}` }) as Chain;
    expect(chain.hops.map((hop) => hop.protocol)).toEqual(['http', 'socks5']);
    const socket = await chain.connect(`127.0.0.1:${echoServer.port}`);
    expect(await echo(socket, 'from the environment')).toBe('from the environment');
    socket.destroy();
    expectNoSecret(chain);
  });

  it('names the variable and the hop in errors, password redacted', () => {
    const error = envError({
      PROXY_CHAIN: `socks5://127.0.0.1:1080, ftp://u:${encodeURIComponent(SECRET)}@h:21`,
    });
    expect(error.message).toMatch(/^PROXY_CHAIN: hop 2 has unsupported scheme "ftp:".*ftp:\/\/u:\*\*\*@h:21/);
    expect(error.hopIndex).toBe(1);
  });
});

describe('SOCKSCHAIN_* options', () => {
  const base = { PROXY_CHAIN: 'socks5://127.0.0.1:1080 socks5://127.0.0.1:1081 socks5://127.0.0.1:1082' };

  it('set the same options as the constructor', () => {
    const ca = file('ca.pem', certs.ca);
    const chain = Chain.fromEnv({
      ...base,
      SOCKSCHAIN_MODE: 'round_robin',
      SOCKSCHAIN_CHAIN_LEN: '2',
      SOCKSCHAIN_TIMEOUT_MS: '4000',
      SOCKSCHAIN_HOP_TIMEOUT_MS: '1500',
      SOCKSCHAIN_RETRIES: '3',
      SOCKSCHAIN_COOLDOWN_MS: '0',
      SOCKSCHAIN_DNS: 'local',
      SOCKSCHAIN_CA_FILE: ca,
    }) as Chain;
    expect(chain.options).toMatchObject({
      mode: 'round_robin',
      chainLength: 2,
      timeoutMs: 4000,
      hopTimeoutMs: 1500,
      retries: { retries: 3 },
      cooldownMs: 0,
      dns: 'local',
    });
  });

  it('take proxychains-style mode names too', () => {
    expect(Chain.fromEnv({ ...base, SOCKSCHAIN_MODE: 'dynamic_chain' })?.options.mode).toBe('dynamic');
    expect(Chain.fromEnv({ ...base, SOCKSCHAIN_MODE: 'Round-Robin' })?.options.mode).toBe('round_robin');
  });

  it('options given in code win over the environment', () => {
    expect(
      Chain.fromEnv({ ...base, SOCKSCHAIN_TIMEOUT_MS: '4000' }, { timeoutMs: 900 })?.options.timeoutMs,
    ).toBe(900);
  });

  it.each([
    [
      { SOCKSCHAIN_MODE: 'chaos' },
      /^SOCKSCHAIN_MODE must be one of strict, dynamic, random, round_robin, got "chaos"/,
    ],
    [
      { SOCKSCHAIN_CHAIN_LEN: 'two' },
      /^SOCKSCHAIN_CHAIN_LEN must be a whole number from 1 to the number of hops \(3\), got "two"/,
    ],
    [
      { SOCKSCHAIN_CHAIN_LEN: '7' },
      /^SOCKSCHAIN_CHAIN_LEN must be a whole number from 1 to the number of hops \(3\), got "7"/,
    ],
    [{ SOCKSCHAIN_TIMEOUT_MS: '0' }, /^SOCKSCHAIN_TIMEOUT_MS must be a whole number >= 1/],
    [{ SOCKSCHAIN_RETRIES: '-1' }, /^SOCKSCHAIN_RETRIES must be a whole number, got "-1"/],
    [{ SOCKSCHAIN_DNS: 'google' }, /^SOCKSCHAIN_DNS must be remote or local/],
    [
      { SOCKSCHAIN_CA_FILE: '/nonexistent/ca.pem' },
      /cannot read the CA file \/nonexistent\/ca.pem \(SOCKSCHAIN_CA_FILE\): ENOENT/,
    ],
    [
      { NO_PROXY: 'a.com,10.0.0.0/40' },
      /^NO_PROXY entry 2 \("10.0.0.0\/40"\): the prefix length must be 0-32/,
    ],
    [{ no_proxy: 'http://x' }, /^no_proxy entry 1 .* is a URL/],
  ])('%o is an INVALID_CONFIG naming the variable', (vars, message) => {
    expect(envError({ ...base, ...vars }).message).toMatch(message);
  });
});

describe('SOCKSCHAIN_CONFIG', () => {
  it('reads a JSON file with hops and options (a CA path relative to the file)', () => {
    file('ca-relative.pem', certs.ca);
    const path = file(
      'chain.json',
      JSON.stringify({
        hops: [socksUrl()],
        options: { mode: 'dynamic', ca: 'ca-relative.pem', noProxy: '.internal' },
      }),
    );
    const chain = Chain.fromEnv({ SOCKSCHAIN_CONFIG: path }) as Chain;
    expect(chain.hops.map((hop) => hop.url)).toEqual([`socks5://${USER}:***@127.0.0.1:${socks.port}`]);
    expect(chain.options.mode).toBe('dynamic');
    expect(chain.bypasses('api.internal:443')).toBe(true);
  });

  it('reads a proxychains.conf', () => {
    const path = file(
      'proxychains.conf',
      'round_robin_chain\nchain_len = 1\n[ProxyList]\nsocks5 127.0.0.1 1080\nhttp 127.0.0.1 3128\n',
    );
    expect(Chain.fromEnv({ SOCKSCHAIN_CONFIG: path })?.options).toMatchObject({
      mode: 'round_robin',
      chainLength: 1,
    });
  });

  it('PROXY_CHAIN wins for the hops; the file still gives options, and the environment wins over it', () => {
    const path = file(
      'both.json',
      JSON.stringify({ hops: ['socks5://127.0.0.1:1'], options: { mode: 'dynamic', timeoutMs: 1000 } }),
    );
    const chain = Chain.fromEnv({
      SOCKSCHAIN_CONFIG: path,
      PROXY_CHAIN: 'http://127.0.0.1:2',
      SOCKSCHAIN_TIMEOUT_MS: '2000',
    }) as Chain;
    expect(String(chain)).toBe('http://127.0.0.1:2');
    expect(chain.options).toMatchObject({ mode: 'dynamic', timeoutMs: 2000 });
  });

  it("NO_PROXY adds to the file's rules (proxychains localnet)", () => {
    const path = file('localnet.conf', 'localnet 10.0.0.0/255.0.0.0\n[ProxyList]\nsocks5 127.0.0.1 1080\n');
    expect(Chain.fromEnv({ SOCKSCHAIN_CONFIG: path, NO_PROXY: '.corp' })?.options.noProxy).toEqual([
      '10.0.0.0/8',
      '.corp',
    ]);
  });

  it.each([
    ['missing.json', null, /^SOCKSCHAIN_CONFIG: cannot read config file .*missing.json: ENOENT/],
    [
      'broken.json',
      `{"hops": ["socks5://u:${SECRET}@h:1"],, }`,
      /^SOCKSCHAIN_CONFIG: config file .*broken.json is not valid JSON at line 1, column \d+$/,
    ],
    ['nohops.json', '{"options": {}}', /needs "hops"/],
    ['typo.json', '{"hops": ["socks5://h:1"], "options": {"mdoe": "dynamic"}}', /unknown option "mdoe"/],
    ['extra.json', '{"hops": ["socks5://h:1"], "chain": []}', /unknown key "chain"/],
    ['badopt.json', '{"hops": ["socks5://h:1"], "options": {"mode": "chaos"}}', /mode must be one of/],
  ])('%s is an INVALID_CONFIG that never quotes the file', (name, text, message) => {
    const path = text === null ? join(dir, name) : file(name, text);
    const error = (() => {
      try {
        Chain.fromEnv({ SOCKSCHAIN_CONFIG: path });
      } catch (e) {
        return e as ChainError;
      }
      throw new Error('expected an error');
    })();
    expect(error).toBeInstanceOf(ChainError);
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toMatch(message);
    expectNoSecret(error);
  });

  it('Chain.fromConfigFile reads the same files', () => {
    const path = file(
      'direct.json',
      JSON.stringify({ hops: 'socks5://127.0.0.1:1 http://127.0.0.1:2', options: { retries: 1 } }),
    );
    const chain = Chain.fromConfigFile(path, { cooldownMs: 5 });
    expect(chain.hops).toHaveLength(2);
    expect(chain.options).toMatchObject({ retries: { retries: 1 }, cooldownMs: 5 });
  });
});

describe('standard proxy variables', () => {
  it('one proxy for everything: a plain one-hop chain', () => {
    const chain = Chain.fromEnv({
      HTTPS_PROXY: 'http://127.0.0.1:3128',
      HTTP_PROXY: 'http://127.0.0.1:3128',
    }) as Chain;
    expect(String(chain)).toBe('http://127.0.0.1:3128');
    expect(chain.bypasses('example.com:22')).toBe(false);
  });

  it('lower-case names win, as curl reads them', () => {
    expect(
      String(Chain.fromEnv({ all_proxy: 'socks5://127.0.0.1:1', ALL_PROXY: 'socks5://127.0.0.1:2' })),
    ).toBe('socks5://127.0.0.1:1');
  });

  it('HTTPS_PROXY for https targets, HTTP_PROXY for http, ALL_PROXY for the rest', async () => {
    const chain = Chain.fromEnv({
      HTTPS_PROXY: hopUrl('http', http),
      HTTP_PROXY: hopUrl('https', { host: 'localhost', port: https.port }),
      ALL_PROXY: socksUrl(),
    }) as Chain;
    // The HTTP_PROXY hop is last, where absolute-form forwarding looks for it.
    expect(chain.hops.map((hop) => hop.protocol)).toEqual(['http', 'socks5', 'https']);
    const through = async (target: string, options: { protocol?: string } = {}) => {
      const before = [http.connections, socks.connections, https.connections];
      const socket = await Chain.fromEnv(
        {
          HTTPS_PROXY: hopUrl('http', http),
          HTTP_PROXY: hopUrl('https', { host: 'localhost', port: https.port }),
          ALL_PROXY: socksUrl(),
        },
        { ca: certs.ca },
      )?.connect(target, options);
      expect(await echo(socket as never, 'routed')).toBe('routed');
      socket?.destroy();
      return [http.connections, socks.connections, https.connections].map(
        (n, i) => n - (before[i] as number),
      );
    };
    const echoAt = `127.0.0.1:${echoServer.port}`;
    expect(await through(echoAt, { protocol: 'https:' })).toEqual([1, 0, 0]);
    expect(await through(echoAt, { protocol: 'http:' })).toEqual([0, 0, 1]);
    expect(await through(echoAt, { protocol: 'ws:' })).toEqual([0, 0, 1]);
    expect(await through(echoAt)).toEqual([0, 1, 0]);
  });

  it('without HTTP_PROXY or ALL_PROXY, http targets connect directly (curl, undici); https falls back to HTTP_PROXY (undici)', async () => {
    const httpsOnly = Chain.fromEnv({ HTTPS_PROXY: 'http://127.0.0.1:3128' }) as Chain;
    expect(httpsOnly.bypasses('example.com:80')).toBe(true);
    expect(httpsOnly.bypasses('http://example.com/')).toBe(true);
    expect(httpsOnly.bypasses('example.com:443')).toBe(false);
    expect(httpsOnly.bypasses('example.com:22')).toBe(false);
    const socket = await httpsOnly.connect(`127.0.0.1:${echoServer.port}`, { protocol: 'http:' });
    expect(await echo(socket, 'direct')).toBe('direct');
    socket.destroy();
    await expect(httpsOnly.connectToLastHop()).rejects.toThrow(/no proxy is configured for http: targets/);

    const httpOnly = Chain.fromEnv({ HTTP_PROXY: 'http://127.0.0.1:3128' }) as Chain;
    expect(httpOnly.bypasses('example.com:443')).toBe(false);
    expect(httpOnly.bypasses('example.com:80')).toBe(false);
  });

  it('names the variable in errors, password redacted', () => {
    const error = envError({ HTTPS_PROXY: `gopher://u:${encodeURIComponent(SECRET)}@h:70` });
    expect(error.message).toMatch(/^HTTPS_PROXY: the proxy URL has unsupported scheme "gopher:"/);
    expect(envError({ all_proxy: 'socks5://h:99999' }).message).toMatch(
      /^all_proxy: the proxy URL is not a valid URL: socks5:\/\/h:99999/,
    );
  });
});

describe('NO_PROXY', () => {
  it('targets it matches connect directly, whatever the chain', async () => {
    const chain = Chain.fromEnv({
      PROXY_CHAIN: 'socks5://127.0.0.1:1',
      NO_PROXY: 'localhost,127.0.0.0/8',
    }) as Chain;
    expect(chain.bypasses(`127.0.0.1:${echoServer.port}`)).toBe(true);
    expect(chain.bypasses('example.com:443')).toBe(false);
    const socket = await chain.connect(`localhost:${echoServer.port}`);
    expect(await echo(socket, 'no proxy')).toBe('no proxy');
    socket.destroy();
  });

  it('no_proxy wins over NO_PROXY', () => {
    expect(
      Chain.fromEnv({ PROXY_CHAIN: 'socks5://h:1', no_proxy: '.a', NO_PROXY: '.b' })?.options.noProxy,
    ).toEqual(['.a']);
  });
});
