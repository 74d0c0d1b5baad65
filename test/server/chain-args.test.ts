/** chainFromArgs: --chain, --config (JSON), --timeout and the errors when nothing is configured. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHAIN_ARG_OPTIONS, chainFromArgs, parseDuration } from '../../src/cli/chain-args.js';
import { UsageError } from '../../src/cli/io.js';
import { ChainError } from '../../src/index.js';
import { certs } from '../fixtures/index.js';
import { expectNoSecret, SECRET } from '../helpers.js';

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
    ['{ not json', /not valid JSON/],
    ['{"options": {}}', /needs "hops"/],
    ['{"hops": ["ftp://127.0.0.1:21"]}', /unsupported scheme/],
  ])('a bad JSON config (%s) is INVALID_CONFIG naming the problem', (text, message) => {
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
  });

  it('a missing config file is INVALID_CONFIG naming the file', () => {
    expect(() => chainFromArgs({ config: join(dir, 'nope.json') }, {})).toThrow(
      /cannot read --config .*nope\.json: ENOENT/,
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
