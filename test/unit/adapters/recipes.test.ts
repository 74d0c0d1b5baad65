/**
 * Runs every example of docs/recipes.md against loopback proxies and servers, and checks that
 * the code shown there is exactly the code run (with the package name for the import path).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getWithAxios } from '../../../docs/recipes/axios.js';
import { fetchThroughChain } from '../../../docs/recipes/fetch.js';
import { getWithGot } from '../../../docs/recipes/got.js';
import { getWithNodeHttps } from '../../../docs/recipes/node-http.js';
import { smtpGreeting } from '../../../docs/recipes/smtp.js';
import { requestWithUndici } from '../../../docs/recipes/undici.js';
import { echoOverWebSocket } from '../../../docs/recipes/ws.js';
import { ChainError } from '../../../src/index.js';
import { certs, closedPort, type Fixture, startBannerServer } from '../../fixtures/index.js';
import { type Echoed, type Env, startEnv, startWsServer } from './helpers.js';

const DOCS = new URL('../../../docs/', import.meta.url);

let env: Env;
let proxies: string[];
const servers: Record<string, Fixture> = {};

beforeAll(async () => {
  env = await startEnv();
  // A mixed 2-hop chain ending in an HTTP proxy, credentials on both hops.
  proxies = [env.hops.socks5, env.hops.http];
  [servers.ws, servers.wss, servers.smtp] = await Promise.all([
    startWsServer(false, false),
    startWsServer(true, false),
    startBannerServer(),
  ]);
});
afterAll(async () => {
  await Promise.all([env.close(), ...Object.values(servers).map((s) => s.close())]);
});

const urls = () => ({
  http: `http://127.0.0.1:${env.origin.port}/recipe`,
  https: `https://localhost:${env.secureOrigin.port}/recipe`,
});

const parsed = (body: string) => JSON.parse(body) as Echoed;

describe('docs/recipes.md', () => {
  const files = readdirSync(new URL('recipes/', DOCS)).filter((name) => name.endsWith('.ts'));

  it.each(files)('shows recipes/%s exactly as it is tested', (name) => {
    const markdown = readFileSync(new URL('recipes.md', DOCS), 'utf8');
    const code = readFileSync(new URL(`recipes/${name}`, DOCS), 'utf8');
    const shown = code.replace("'../../src/index.js'", "'sockschain'");
    expect(markdown).toContain(`\`\`\`ts\n${shown.trimEnd()}\n\`\`\``);
  });

  it('node:https', async () => {
    expect(parsed(await getWithNodeHttps(proxies, urls().https, certs.ca))).toMatchObject({ url: '/recipe' });
  });

  it('global fetch and chain.fetch', async () => {
    const bodies = await fetchThroughChain(proxies, urls().http, certs.ca);
    expect(bodies.map((body) => parsed(body).url)).toEqual(['/recipe', '/recipe']);
    expect(parsed(bodies[0] ?? '').headers).not.toHaveProperty('proxy-authorization');
  });

  it('global fetch: a failure surfaces as the ChainError', async () => {
    const dead = [`socks5://127.0.0.1:${await closedPort()}`];
    const error = await fetchThroughChain(dead, urls().http).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChainError);
    expect(error).toMatchObject({ code: 'HOP_UNREACHABLE', hopIndex: 0 });
  });

  it.each(['http', 'https'] as const)('undici.request (%s)', async (scheme) => {
    expect(parsed(await requestWithUndici(proxies, urls()[scheme], certs.ca)).url).toBe('/recipe');
  });

  it.each(['http', 'https'] as const)('axios (%s)', async (scheme) => {
    expect(parsed(await getWithAxios(proxies, urls()[scheme], certs.ca)).url).toBe('/recipe');
  });

  it.each(['http', 'https'] as const)('got (%s)', async (scheme) => {
    expect(parsed(await getWithGot(proxies, urls()[scheme], certs.ca)).url).toBe('/recipe');
  });

  it.each(['ws', 'wss'])('ws (%s://)', async (scheme) => {
    const server = servers[scheme] as Fixture;
    const url = `${scheme}://localhost:${server.port}/`;
    expect(await echoOverWebSocket(proxies, url, 'hi', certs.ca)).toBe('echo hi');
  });

  it('chain.connect with a server that speaks first (SMTP)', async () => {
    const smtp = servers.smtp as Fixture;
    expect(await smtpGreeting(proxies, '127.0.0.1', smtp.port)).toEqual([
      '220 fixture ESMTP ready',
      '250 EHLO client.example',
    ]);
  });
});
