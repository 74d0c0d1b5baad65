/** chainFromArgs: --chain, --config (JSON), --timeout and the errors when nothing is configured. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHAIN_ARG_OPTIONS, chainFromArgs, parseDuration } from '../../../src/cli/chain-args.js';
import { UsageError } from '../../../src/cli/output/io.js';
import { ChainError } from '../../../src/index.js';
import { certs } from '../../fixtures/index.js';
import { expectNoSecret, SECRET } from '../../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sockschain-args-'));
const secretHop = `socks5://alice:${encodeURIComponent(SECRET)}@127.0.0.1:1080`;

describe('chainFromArgs', () => {
  it('joins repeated --chain values, each comma or space separated, in order', () => {
    const chain = chainFromArgs(
      { chain: ['http://127.0.0.1:8080, socks5://127.0.0.1:1080', 'socks4a://127.0.0.1:1081'] },
      {},
    );
    expect(chain.hops.map((hop) => hop.url)).toEqual([
      'http://127.0.0.1:8080',
      'socks5://127.0.0.1:1080',
      'socks4a://127.0.0.1:1081',
    ]);
  });

  it('applies --timeout to the chain', () => {
    expect(chainFromArgs({ chain: ['socks5://127.0.0.1:1'], timeout: '2s' }, {}).options.timeoutMs).toBe(
      2000,
    );
    expect(chainFromArgs({ chain: ['socks5://127.0.0.1:1'], timeout: '750' }, {}).options.timeoutMs).toBe(
      750,
    );
  });

  it('reads a JSON config with hops, options and a CA file path relative to it', () => {
    writeFileSync(join(dir, 'ca.pem'), certs.ca);
    const path = join(dir, 'chain.json');
    writeFileSync(
      path,
      JSON.stringify({
        hops: [secretHop, 'http://127.0.0.1:8080'],
        options: { hopTimeoutMs: 1234, ca: 'ca.pem' },
      }),
    );
    const chain = chainFromArgs({ config: path, timeout: '5s' }, {});
    expect(chain.hops).toHaveLength(2);
    expect(chain.options).toMatchObject({ hopTimeoutMs: 1234, timeoutMs: 5000 });
    expectNoSecret(chain);
  });

  it.each([
    ['not JSON', '{ not json', /not valid JSON/],
    ['not JSON, with a password', `{"hops": ["socks5://u:${SECRET}@127.0.0.1:1",]}`, /not valid JSON/],
    ['no hops', '{"options": {}}', /needs "hops"/],
    ['a bad hop', '{"hops": ["ftp://127.0.0.1:21"]}', /unsupported scheme/],
  ])('a bad JSON config (%s) is INVALID_CONFIG naming the problem, no password', (_label, text, message) => {
    const path = join(dir, `bad-${Math.random()}.json`);
    writeFileSync(path, text);
    let error: unknown;
    try {
      chainFromArgs({ config: path }, {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ChainError);
    expect((error as ChainError).code).toBe('INVALID_CONFIG');
    expect((error as ChainError).message).toMatch(message);
    expectNoSecret(error);
  });

  it('a missing config file is INVALID_CONFIG naming the file', () => {
    expect(() => chainFromArgs({ config: join(dir, 'nope.json') }, {})).toThrow(
      /cannot read config file .*nope\.json: ENOENT/,
    );
  });

  it('reads a proxychains.conf given as --config', () => {
    const path = join(dir, 'proxychains.conf');
    writeFileSync(path, 'strict_chain\n[ProxyList]\nsocks5 127.0.0.1 1080\nhttp 127.0.0.1 8080\n');
    expect(chainFromArgs({ config: path }, {}).hops.map((hop) => hop.url)).toEqual([
      'socks5://127.0.0.1:1080',
      'http://127.0.0.1:8080',
    ]);
  });

  it('falls back to the environment (PROXY_CHAIN), with --timeout applied', () => {
    const chain = chainFromArgs(
      { timeout: '3s' },
      { PROXY_CHAIN: 'socks5://127.0.0.1:1080,http://127.0.0.1:8080' },
    );
    expect(chain.hops).toHaveLength(2);
    expect(chain.options.timeoutMs).toBe(3000);
  });

  it('--chain wins over the environment', () => {
    const chain = chainFromArgs(
      { chain: ['http://127.0.0.1:3128'] },
      { PROXY_CHAIN: 'socks5://127.0.0.1:1080' },
    );
    expect(chain.hops.map((hop) => hop.url)).toEqual(['http://127.0.0.1:3128']);
  });

  it('no chain anywhere is a UsageError saying how to give one', () => {
    expect(() => chainFromArgs({}, {})).toThrow(UsageError);
    expect(() => chainFromArgs({}, {})).toThrow(
      /no chain configured: give --chain URLS .*--config FILE.*PROXY_CHAIN/,
    );
  });

  it('refuses --chain together with --config, and an empty --chain', () => {
    expect(() => chainFromArgs({ chain: ['socks5://127.0.0.1:1'], config: 'x' }, {})).toThrow(UsageError);
    expect(() => chainFromArgs({ chain: [' , '] }, {})).toThrow(/--chain is empty/);
  });

  it('passes a bad hop URL through as INVALID_CONFIG without the password', () => {
    let error: unknown;
    try {
      chainFromArgs({ chain: [`socks5://alice:${encodeURIComponent(SECRET)}@127.0.0.1:99999`] }, {});
    } catch (e) {
      error = e;
    }
    expect((error as ChainError).code).toBe('INVALID_CONFIG');
    expectNoSecret(error);
  });

  it('rejects a bad --timeout with a UsageError naming the option', () => {
    expect(() => parseDuration('soon', '--timeout')).toThrow(/--timeout must be a positive duration/);
    expect(() => parseDuration('0', '--timeout')).toThrow(UsageError);
    expect(parseDuration('1.5s', '--x')).toBe(1500);
  });

  it('exposes parseArgs options with a repeatable --chain', () => {
    expect(CHAIN_ARG_OPTIONS.chain).toMatchObject({ type: 'string', multiple: true });
  });
});
