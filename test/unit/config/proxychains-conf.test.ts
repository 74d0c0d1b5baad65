/** proxychains.conf: proxychains-ng's own sample, every directive, both proxy line forms, and the errors. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chain, ChainError, parseProxychainsConf, type TraceEntry } from '../../../src/index.js';
import {
  closedPort,
  type Fixture,
  startEchoServer,
  startHttpProxy,
  startSocksServer,
} from '../../fixtures/index.js';
import { echo, expectChainError, expectNoSecret, SECRET, USER } from '../../helpers.js';
import { startFlaky } from '../chain/flaky.js';

const SAMPLE = fileURLToPath(new URL('./fixtures/proxychains.conf', import.meta.url));
const sample = readFileSync(SAMPLE, 'utf8');
const enc = encodeURIComponent;

const fixtures: Fixture[] = [];
let echoServer: Fixture;
let socks4: Fixture;
let socks5: Fixture;
let authSocks: Fixture;
let authHttp: Fixture;

beforeAll(async () => {
  echoServer = await startEchoServer();
  socks4 = await startSocksServer({ versions: [4] });
  socks5 = await startSocksServer({ versions: [5] });
  authSocks = await startSocksServer({ versions: [5], auth: { username: USER, password: 'secret' } });
  authHttp = await startHttpProxy({ auth: { username: USER, password: 'secret' } });
  fixtures.push(echoServer, socks4, socks5, authSocks, authHttp);
});

afterAll(async () => {
  await Promise.all(fixtures.map((f) => f.close()));
});

async function roundTrip(chain: Chain, target = `127.0.0.1:${echoServer.port}`): Promise<void> {
  const socket = await chain.connect(target);
  expect(await echo(socket, 'via proxychains.conf')).toBe('via proxychains.conf');
  socket.destroy();
}

function conf(lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

function configError(text: string): ChainError {
  try {
    parseProxychainsConf(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ChainError);
    expect((error as ChainError).code).toBe('INVALID_CONFIG');
    expectNoSecret(error);
    return error as ChainError;
  }
  throw new Error('expected an INVALID_CONFIG');
}

describe("proxychains-ng's sample config", () => {
  it('reads every directive it sets', () => {
    const parsed = parseProxychainsConf(sample);
    expect(parsed.hops.map((hop) => hop.url)).toEqual(['socks4a://127.0.0.1:9050']);
    expect(parsed.options).toEqual({ mode: 'strict', dns: 'remote', hopTimeoutMs: 15000 });
    expect(parsed.ignored).toEqual([{ line: 65, directive: 'remote_dns_subnet' }]);
  });

  it('Chain.fromProxychainsConf takes the path', () => {
    const chain = Chain.fromProxychainsConf(SAMPLE);
    expect(String(chain)).toBe('socks4a://127.0.0.1:9050');
    expect(chain.options).toMatchObject({ mode: 'strict', dns: 'remote', hopTimeoutMs: 15000 });
  });

  it('carries traffic once its proxy points at a running SOCKS4 server', async () => {
    const text = sample.replace('127.0.0.1 9050', `127.0.0.1 ${socks4.port}`);
    const chain = Chain.fromProxychainsConf(text);
    await roundTrip(chain);
    // proxy_dns: the name goes to the proxy, as SOCKS4a.
    await roundTrip(chain, `localhost:${echoServer.port}`);
    expect(socks4.log.some((e) => JSON.stringify(e).includes('localhost'))).toBe(true);
  });
});

describe('[ProxyList]', () => {
  it('"type host port user pass" for SOCKS5 and HTTP, in order, with tabs or blanks', async () => {
    const chain = Chain.fromProxychainsConf(
      conf([
        'strict_chain',
        '[ProxyList]',
        `http\t127.0.0.1\t${authHttp.port}\t${USER}\tsecret`,
        `socks5  127.0.0.1 ${authSocks.port} ${USER} secret`,
      ]),
    );
    expect(chain.hops.map((hop) => hop.protocol)).toEqual(['http', 'socks5']);
    expect(String(chain)).not.toContain('secret');
    await roundTrip(chain);
  });

  it('"type://user:pass@host:port"', async () => {
    const chain = Chain.fromProxychainsConf(
      conf([
        '[ProxyList]',
        `socks5://${USER}:secret@127.0.0.1:${authSocks.port}`,
        `http://127.0.0.1:${socks5.port}`,
      ]),
    );
    expect(chain.hops.map((hop) => hop.url)).toEqual([
      `socks5://${USER}:***@127.0.0.1:${authSocks.port}`,
      `http://127.0.0.1:${socks5.port}`,
    ]);
  });

  it('socks4 with a user id', () => {
    const [hop] = parseProxychainsConf(conf(['[ProxyList]', 'socks4 127.0.0.1 1080 bob'])).hops;
    expect(hop?.url).toBe('socks4a://bob@127.0.0.1:1080');
  });

  it('raw: the proxy after it is reached at the raw entry (a port forward to it)', async () => {
    const forward = await startFlaky(socks5.port, 0);
    const chain = Chain.fromProxychainsConf(
      conf(['[ProxyList]', `raw 127.0.0.1 ${forward.port}`, 'socks5 localhost 9']),
    );
    expect(chain.hops.map((hop) => hop.url)).toEqual([`socks5://127.0.0.1:${forward.port}`]);
    await roundTrip(chain);
    expect(forward.accepted).toHaveLength(1);
    await forward.close();
  });

  it.each([
    [
      'raw as the last entry',
      ['[ProxyList]', 'socks5 127.0.0.1 1080', 'raw 127.0.0.1 2000'],
      /line 3: a raw entry must be followed/,
    ],
    [
      'raw with a user',
      ['[ProxyList]', 'raw 127.0.0.1 2000 u p', 'http 127.0.0.1 1'],
      /line 2: a raw entry takes no user/,
    ],
    ['an unknown type', ['[ProxyList]', 'socks6 127.0.0.1 1080'], /line 2: unknown proxy type "socks6"/],
    [
      'a bad port',
      ['[ProxyList]', `socks5 127.0.0.1 80a ${USER} ${SECRET}`],
      /line 2: the port must be 1-65535 in "socks5 127.0.0.1 80a alice \*\*\*"/,
    ],
    [
      'too many fields',
      ['[ProxyList]', `socks5 127.0.0.1 1 a ${SECRET} extra`],
      /line 2: a proxy is "type host port \[user pass\]"/,
    ],
    [
      'a socks4 password',
      ['[ProxyList]', `socks4 127.0.0.1 1080 bob ${SECRET}`],
      /line 2: the proxy is SOCKS4, which has a user id but no password/,
    ],
    [
      'a bad proxy URL',
      ['[ProxyList]', `socks5://u:${enc(SECRET)}@127.0.0.1`],
      /line 2: a proxy URL needs a port: socks5:\/\/u:\*\*\*@/,
    ],
    ['no proxies', ['strict_chain', '[ProxyList]', '# none yet'], /has no proxies/],
    ['no [ProxyList]', ['strict_chain'], /has no proxies/],
  ])('%s is an INVALID_CONFIG naming the line, password redacted', (_what, lines, message) => {
    expect(configError(conf(lines)).message).toMatch(message);
  });
});

describe('directives', () => {
  const list = ['[ProxyList]', 'socks5 127.0.0.1 1080', 'socks5 127.0.0.1 1081', 'socks5 127.0.0.1 1082'];

  it.each([
    ['strict_chain', 'strict'],
    ['dynamic_chain', 'dynamic'],
    ['random_chain', 'random'],
    ['round_robin_chain', 'round_robin'],
  ])('%s selects the %s mode', (directive, mode) => {
    expect(parseProxychainsConf(conf([directive, ...list])).options.mode).toBe(mode);
  });

  it('without a chain directive it is dynamic, as in proxychains-ng; the last one wins', () => {
    expect(parseProxychainsConf(conf(list)).options.mode).toBe('dynamic');
    expect(parseProxychainsConf(conf(['random_chain', 'strict_chain', ...list])).options.mode).toBe('strict');
  });

  it('chain_len applies to random and round_robin chains', () => {
    expect(parseProxychainsConf(conf(['random_chain', 'chain_len = 2', ...list])).options.chainLength).toBe(
      2,
    );
    expect(
      parseProxychainsConf(conf(['round_robin_chain', 'chain_len=3', ...list])).options.chainLength,
    ).toBe(3);
    expect(
      parseProxychainsConf(conf(['strict_chain', 'chain_len = 2', ...list])).options.chainLength,
    ).toBeUndefined();
    expect(configError(conf(['random_chain', 'chain_len = 4', ...list])).message).toMatch(
      /line 2: chain_len = 4 but \[ProxyList\] has 3 proxies/,
    );
    expect(configError(conf(['chain_len two', ...list])).message).toMatch(/line 1: chain_len is written/);
  });

  it('proxy_dns (any method) passes names on; without it names resolve locally', () => {
    expect(parseProxychainsConf(conf(list)).options.dns).toBe('local');
    for (const directive of ['proxy_dns', 'proxy_dns_old', 'proxy_dns_daemon 127.0.0.1:1053']) {
      expect(parseProxychainsConf(conf([directive, ...list])).options.dns, directive).toBe('remote');
    }
  });

  it('tcp_connect_time_out and tcp_read_time_out give the per-hop limit', () => {
    const options = parseProxychainsConf(
      conf(['tcp_connect_time_out 8000', 'tcp_read_time_out 4000', ...list]),
    ).options;
    expect(options.hopTimeoutMs).toBe(8000);
    expect(configError(conf(['tcp_read_time_out soon', ...list])).message).toMatch(
      /line 1: tcp_read_time_out must be a whole number of ms >= 1, got "soon"/,
    );
  });

  it('quiet_mode and remote_dns_subnet are accepted and listed as having nothing to do', () => {
    const parsed = parseProxychainsConf(conf(['quiet_mode', 'remote_dns_subnet 10', ...list]));
    expect(parsed.ignored.map((entry) => entry.directive)).toEqual(['quiet_mode', 'remote_dns_subnet']);
  });

  it('localnet ranges become NO_PROXY rules', () => {
    const parsed = parseProxychainsConf(
      conf([
        'localnet 127.0.0.0/255.0.0.0',
        'localnet 192.168.1.0:80/255.255.255.0',
        'localnet 0.0.0.0:80/0.0.0.0',
        'localnet 10.0.0.0/8',
        'localnet ::1/128',
        'localnet [::]:80/0',
        ...list,
      ]),
    );
    expect(parsed.options.noProxy).toEqual([
      '127.0.0.0/8',
      '192.168.1.0/24:80',
      '0.0.0.0/0:80',
      '10.0.0.0/8',
      '::1/128',
      '::/0:80',
    ]);
    expect(configError(conf(['localnet 10.0.0.0/255.0.255.0', ...list])).message).toMatch(
      /line 1: .*not contiguous/,
    );
    expect(configError(conf(['localnet 10.0.0/8', ...list])).message).toMatch(/line 1: localnet address/);
    // An empty or non-decimal prefix is a mistake, never /0 (every address) or 1e1 read as 10.
    for (const mask of ['', '1e1', '0x8']) {
      expect(configError(conf([`localnet 10.0.0.0/${mask}`, ...list])).message, mask).toMatch(
        /line 1: localnet netmask ".*" must be a netmask or a prefix length 0-32/,
      );
    }
  });

  it('a localnet target connects directly, even with every proxy down', async () => {
    const dead = `socks5 127.0.0.1 ${await closedPort()}`;
    const chain = Chain.fromProxychainsConf(conf(['localnet 127.0.0.0/255.0.0.0', '[ProxyList]', dead]));
    for (const host of ['127.0.0.1', 'localhost']) {
      // Without proxy_dns names resolve here, so a name matches localnet by its address.
      const trace: TraceEntry[] = [];
      const socket = await chain.connect(`${host}:${echoServer.port}`, { trace });
      expect(await echo(socket, 'direct')).toBe('direct');
      socket.destroy();
      expect(trace).toEqual([]);
    }
    // With proxy_dns the name goes to the proxy unresolved: localnet cannot match it.
    const remote = Chain.fromProxychainsConf(
      conf(['proxy_dns', 'localnet 127.0.0.0/255.0.0.0', '[ProxyList]', dead]),
    );
    await expectChainError(remote.connect(`localhost:${echoServer.port}`), { code: 'HOP_UNREACHABLE' });
  });

  it('unsupported directives are reported by name and line, all of them', () => {
    const error = configError(conf(['strict_chain', 'dnat 1.1.1.1 1.1.1.2', 'fast_mode', ...list]));
    expect(error.message).toMatch(
      /unsupported directives: line 2: dnat \(rewriting destinations is not supported/,
    );
    expect(error.message).toMatch(/line 3: unknown directive "fast_mode"/);
  });

  it('options given in code win over the file', () => {
    const chain = Chain.fromProxychainsConf(conf(['random_chain', ...list]), {
      mode: 'strict',
      dns: 'remote',
    });
    expect(chain.options).toMatchObject({ mode: 'strict', dns: 'remote' });
  });

  it('a file that cannot be read is an INVALID_CONFIG naming it', () => {
    expect(() => Chain.fromProxychainsConf('/nonexistent/proxychains.conf')).toThrow(
      /cannot read proxychains.conf at \/nonexistent\/proxychains.conf: ENOENT/,
    );
  });

  it('errors from a file name the file', () => {
    expect(() => Chain.fromProxychainsConf(SAMPLE.replace('proxychains.conf', 'README.md'))).toThrow(
      /README.md: unsupported directives: line 1: unknown directive "`proxychains.conf`"/,
    );
  });
});
