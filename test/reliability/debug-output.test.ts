/**
 * Issue #8, credentials in debug output: a program under `sockschain/register` with every
 * debug switch on (SOCKSCHAIN_DEBUG, DEBUG=*, NODE_DEBUG for net, http, tls and undici) makes
 * requests through a chain with a password at each hop, one that works and one that fails.
 * Nothing it prints holds a password. Runs the built register module (dist/), as users do.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cleanEnv, ensureBuilt, ROOT } from '../unit/cli/run-cli.js';
import { expectNoPassword, PASSWORDS, type SecretEnv, startSecretEnv } from './secrets.js';
import { spawnNode } from './spawn.js';

const CA_FILE = fileURLToPath(new URL('../fixtures/certs/ca.crt', import.meta.url));

let env: SecretEnv;

beforeAll(async () => {
  env = await startSecretEnv();
  await ensureBuilt();
}, 120_000);

afterAll(async () => {
  await env.close();
});

const PROGRAM = `
import http from 'node:http';
const get = (url) => new Promise((resolve) => {
  http.get(url, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); })
    .on('error', (error) => { console.error('http error:', error); resolve(error.code); });
});
console.log('http', await get(process.env.GOOD_URL));
console.log('http', await get(process.env.BAD_URL));
for (const url of [process.env.GOOD_URL, process.env.BAD_URL]) {
  try {
    const res = await fetch(url);
    console.log('fetch', res.status, (await res.text()).length);
  } catch (error) {
    console.error('fetch error:', error);
  }
}
`;

it('SOCKSCHAIN_DEBUG, DEBUG=* and NODE_DEBUG print no password, for requests that work and fail', async () => {
  const result = await spawnNode(
    ['--import', `${ROOT}dist/config/register.js`, '--input-type=module', '-e', PROGRAM],
    {
      env: cleanEnv({
        PROXY_CHAIN: env.urls.join(','),
        SOCKSCHAIN_CA_FILE: CA_FILE,
        SOCKSCHAIN_HOP_TIMEOUT_MS: '2000',
        SOCKSCHAIN_DEBUG: '1',
        DEBUG: '*',
        NODE_DEBUG: 'net,http,https,tls,undici,fetch,stream',
        GOOD_URL: `http://127.0.0.1:${env.origin.port}/debug`,
        BAD_URL: 'http://127.0.0.1:1/never',
      }),
      timeoutMs: 20_000,
    },
  );
  // The program ran its four requests, and the debug switches did print.
  expect(result.stdout).toMatch(/^http 200$/m);
  expect(result.stdout).toMatch(/^fetch 200 \d+$/m);
  expect(result.stderr).toMatch(/sockschain\/register: node:http, node:https and fetch go through/);
  expect(result.stderr).toMatch(/^(NET|HTTP)\s+\d+:/m);
  expect(result.stderr).toMatch(/http error:|fetch error:/);
  expectNoPassword([result.stdout, result.stderr]);
  expect(PASSWORDS).toHaveLength(3);
});
