/**
 * The option table (chain/options.ts OPTIONS) is the one list of options: the config file's
 * known keys and Chain.fromEnv's variables come from it, and the docs must list what it has.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OPTIONS, type OptionName } from '../../../src/chain/options.js';
import { FILE_OPTION_KEYS, parseJsonConfig } from '../../../src/config/config-file.js';
import { Chain } from '../../../src/index.js';
import { certs } from '../../fixtures/index.js';

const names = Object.keys(OPTIONS) as OptionName[];
const HOPS = ['socks5://127.0.0.1:1080', 'socks5://127.0.0.1:1081'];
const docs = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');

/** A docs section: from its heading to the next one of the same level. */
function section(heading: string): string {
  const start = docs.indexOf(`\n## ${heading}\n`);
  expect(start, heading).toBeGreaterThan(-1);
  const end = docs.indexOf('\n## ', start + 1);
  return docs.slice(start, end === -1 ? undefined : end);
}

/** A value each option a file may set accepts, as JSON would carry it. */
const FILE_SAMPLES: Partial<Record<OptionName, unknown>> = {
  timeoutMs: 5000,
  hopTimeoutMs: 2000,
  dns: 'local',
  ca: certs.ca,
  rejectUnauthorized: false,
  mode: 'round_robin',
  chainLength: 2,
  retries: { retries: 2, minTimeout: 10 },
  cooldownMs: 0,
  noProxy: ['.internal', '10.0.0.0/8'],
  httpForwarding: 'connect',
  pipeline: 'auto',
};

describe('the option table', () => {
  it('the config file knows exactly the rows marked file, and each one works from a file', () => {
    expect([...FILE_OPTION_KEYS]).toEqual(names.filter((name) => OPTIONS[name].file));
    for (const name of FILE_OPTION_KEYS as ReadonlySet<OptionName>) {
      expect(FILE_SAMPLES, `a sample value for ${name}`).toHaveProperty(name);
      const text = JSON.stringify({ hops: HOPS, options: { [name]: FILE_SAMPLES[name] } });
      const config = parseJsonConfig(text, 'sample.json');
      const chain = new Chain(config.hops, config.options);
      if (name in chain.options) {
        expect(chain.options[name as keyof Chain['options']], name).not.toEqual(
          new Chain(HOPS).options[name as keyof Chain['options']],
        );
      }
    }
  });

  it('options a file cannot set are refused by it by name', () => {
    for (const name of names.filter((n) => !OPTIONS[n].file)) {
      const text = JSON.stringify({ hops: HOPS, options: { [name]: {} } });
      expect(() => parseJsonConfig(text, 'sample.json'), name).toThrow(`unknown option "${name}"`);
    }
  });

  it('every option is in the options table of docs/configuration.md', () => {
    const documented = section('Options');
    for (const name of names) expect(documented, name).toContain(`| \`${name}\``);
  });

  it("every option's variables are documented, and every documented SOCKSCHAIN_* variable is known", () => {
    const documented = section('Environment variables');
    const variables = names.flatMap((name) => OPTIONS[name].env?.names ?? []);
    for (const variable of variables) expect(documented, variable).toContain(`\`${variable}\``);
    // Variables that are not options: where the chain comes from, and register's stderr.
    const others = ['SOCKSCHAIN_CONFIG', 'SOCKSCHAIN_DEBUG'];
    for (const [variable] of documented.matchAll(/SOCKSCHAIN_[A-Z_]+/g)) {
      expect([...variables, ...others], variable).toContain(variable);
    }
  });

  it('every variable sets its option', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockschain-table-'));
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, certs.ca);
    const text: Record<string, string> = {
      whole: '2',
      choice: 'local',
      mode: 'random_chain',
      file: caFile,
      rules: '.internal',
    };
    const expected: Partial<Record<OptionName, unknown>> = {
      timeoutMs: 2,
      hopTimeoutMs: 2,
      dns: 'local',
      mode: 'random',
      chainLength: 2,
      retries: expect.objectContaining({ retries: 2 }),
      cooldownMs: 2,
      noProxy: ['.internal'],
    };
    for (const name of names) {
      for (const variable of OPTIONS[name].env?.names ?? []) {
        const kind = OPTIONS[name].env?.text.kind as string;
        const env = { PROXY_CHAIN: HOPS.join(','), [variable]: text[kind] };
        const chain = Chain.fromEnv(env) as Chain;
        if (name === 'ca') {
          // Not in chain.options (no CA there): reading it is what the variable does.
          expect(() => Chain.fromEnv({ ...env, [variable]: join(dir, 'missing.pem') })).toThrow(variable);
          continue;
        }
        expect(chain.options[name as keyof Chain['options']], variable).toEqual(expected[name]);
      }
    }
  });

  it('defaults are what chain.options shows when nothing is given', () => {
    const resolved = new Chain(HOPS).options as unknown as Record<string, unknown>;
    for (const name of names) {
      if (!(name in resolved) || name === 'noProxy') continue;
      expect(resolved[name], name).toEqual(OPTIONS[name].default);
    }
    expect(resolved.noProxy).toEqual(OPTIONS.noProxy.default.entries);
  });
});
