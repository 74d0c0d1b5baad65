/**
 * `node --import sockschain/register`: child processes whose node:http, node:https and global
 * fetch go through the chain from their environment, NO_PROXY honoured.
 */
import { execFile, execSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  certs,
  closedPort,
  type Fixture,
  startHttpOrigin,
  startHttpProxy,
  startSocksServer,
} from '../../fixtures/index.js';
import { SECRET, USER } from '../../helpers.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const register = join(root, 'dist/config/register.js');
const dir = mkdtempSync(join(tmpdir(), 'sockschain-register-'));
const fixtures: Fixture[] = [];
let origin: Fixture;
let secureOrigin: Fixture;
let socks: Fixture;
let proxy: Fixture;

/** dist/ is what `--import` loads: rebuild it when src/ is newer (vitest alone does not build). */
function ensureBuilt(): void {
  const newest = (path: string): number =>
    statSync(path).isDirectory()
      ? Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))))
      : statSync(path).mtimeMs;
  let built = 0;
  try {
    built = statSync(register).mtimeMs;
  } catch {}
  if (built < newest(join(root, 'src'))) {
    try {
      execSync('npx tsc -p tsconfig.build.json', { cwd: root, stdio: 'ignore' });
    } catch {
      // tsc emits even with type errors elsewhere in the tree; the tests below judge the result.
    }
  }
}

const script = join(dir, 'app.mjs');
writeFileSync(
  script,
  `import http from 'node:http';
import https from 'node:https';
const read = (mod, url) => new Promise((resolve, reject) => {
  mod.get(url, (res) => { let body = ''; res.on('data', (d) => (body += d)); res.on('end', () => resolve(JSON.parse(body))); }).on('error', reject);
});
const [plain, secure] = process.argv.slice(2);
const out = {};
out.http = (await read(http, plain + '/via-http')).url;
if (secure) out.https = (await read(https, secure + '/via-https')).url;
out.fetch = (await (await fetch(plain + '/via-fetch')).json()).url;
console.log(JSON.stringify(out));
process.exit(0);
`,
);

function run(
  env: NodeJS.ProcessEnv,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', register, script, ...args],
      {
        env: {
          PATH: process.env.PATH,
          NODE_EXTRA_CA_CERTS: join(root, 'test/fixtures/certs/ca.crt'),
          ...env,
        },
        timeout: 15_000,
      },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  ensureBuilt();
  origin = await startHttpOrigin();
  secureOrigin = await startHttpOrigin({ tls: certs.localhost });
  socks = await startSocksServer({ versions: [5], auth: { username: USER, password: SECRET } });
  proxy = await startHttpProxy();
  fixtures.push(origin, secureOrigin, socks, proxy);
}, 60_000);

afterAll(async () => {
  await Promise.all(fixtures.map((f) => f.close()));
});

const socksHop = () => `socks5://${USER}:${encodeURIComponent(SECRET)}@127.0.0.1:${socks.port}`;
const plainUrl = () => `http://127.0.0.1:${origin.port}`;
const secureUrl = () => `https://localhost:${secureOrigin.port}`;

describe('sockschain/register', () => {
  it('routes node:http, node:https and fetch through PROXY_CHAIN', async () => {
    const before = socks.connections;
    const result = await run({ PROXY_CHAIN: socksHop() }, [plainUrl(), secureUrl()]);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({
      http: '/via-http',
      https: '/via-https',
      fetch: '/via-fetch',
    });
    expect(socks.connections - before).toBe(3);
  });

  it('sends plain http through an HTTP proxy last hop in absolute-form', async () => {
    const result = await run({ PROXY_CHAIN: `http://127.0.0.1:${proxy.port}` }, [plainUrl()]);
    expect(JSON.parse(result.stdout)).toEqual({ http: '/via-http', fetch: '/via-fetch' });
    const forwarded = proxy.log.filter((e) => e.type === 'request').map((e) => e.url);
    expect(forwarded).toEqual([`${plainUrl()}/via-http`, `${plainUrl()}/via-fetch`]);
  });

  it('honours NO_PROXY: matching targets connect directly', async () => {
    const dead = `socks5://127.0.0.1:${await closedPort()}`;
    const result = await run({ PROXY_CHAIN: dead, NO_PROXY: '127.0.0.1,localhost' }, [
      plainUrl(),
      secureUrl(),
    ]);
    expect(JSON.parse(result.stdout)).toEqual({
      http: '/via-http',
      https: '/via-https',
      fetch: '/via-fetch',
    });
    // Without NO_PROXY the same chain fails: the requests really did skip it.
    const failed = await run({ PROXY_CHAIN: dead }, [plainUrl()]);
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toMatch(/HOP_UNREACHABLE|connection refused/);
  });

  it('changes nothing without a chain, and says so once with SOCKSCHAIN_DEBUG', async () => {
    const quiet = await run({}, [plainUrl()]);
    expect(quiet.stderr).toBe('');
    expect(JSON.parse(quiet.stdout)).toEqual({ http: '/via-http', fetch: '/via-fetch' });
    const debug = await run({ SOCKSCHAIN_DEBUG: '1' }, [plainUrl()]);
    expect(debug.stderr.match(/no chain configured/g)).toHaveLength(1);
    expect(JSON.parse(debug.stdout)).toEqual({ http: '/via-http', fetch: '/via-fetch' });
  });

  it('with SOCKSCHAIN_DEBUG, names the chain without its password', async () => {
    const result = await run({ PROXY_CHAIN: socksHop(), SOCKSCHAIN_DEBUG: '1' }, [plainUrl()]);
    expect(result.stderr).toContain(`go through socks5://${USER}:***@127.0.0.1:${socks.port}`);
    expect(result.stderr).not.toContain(SECRET);
    expect(result.stderr).not.toContain(encodeURIComponent(SECRET));
  });

  it('a chain that is set but wrong stops the program at startup, naming the variable, password redacted', async () => {
    const result = await run({ PROXY_CHAIN: `ftp://${USER}:${encodeURIComponent(SECRET)}@127.0.0.1:21` }, [
      plainUrl(),
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/PROXY_CHAIN: hop 1 has unsupported scheme "ftp:"/);
    expect(result.stderr).not.toContain(SECRET);
    expect(result.stderr).not.toContain(encodeURIComponent(SECRET));
  });
});
