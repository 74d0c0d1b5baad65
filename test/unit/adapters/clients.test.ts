/**
 * The clients people use, each over two 2-hop mixed chains (one ending in an HTTP proxy,
 * one ending in SOCKS5), for http and https targets; WebSocket over ws:// and wss://; and
 * an SMTP-style protocol, where the server speaks first, over chain.connect().
 */
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import axios from 'axios';
import got from 'got';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Chain, ChainError } from '../../../src/index.js';
import { certs, closedPort, type Fixture, startBannerServer } from '../../fixtures/index.js';
import { expectNoSecret, SECRET, USER } from '../../helpers.js';
import {
  type Echoed,
  type Env,
  get,
  mixedChains,
  type Reply,
  startEnv,
  startTlsBannerServer,
  startWsServer,
} from './helpers.js';

let env: Env;
const servers: Record<string, Fixture> = {};

beforeAll(async () => {
  env = await startEnv();
  [servers.ws, servers.wss, servers.smtp, servers.smtps] = await Promise.all([
    startWsServer(false),
    startWsServer(true),
    startBannerServer(),
    startTlsBannerServer(),
  ]);
});
afterAll(async () => {
  await Promise.all([env.close(), ...Object.values(servers).map((s) => s.close())]);
});

type HttpClient = (url: string, chain: Chain) => Promise<Reply>;

const CLIENTS: Record<string, HttpClient> = {
  'node:http / node:https': (url, chain) => get(url, { agent: chain.agent({ ca: certs.ca }) }),
  'global fetch': async (url, chain) => {
    const dispatcher = chain.dispatcher({ ca: certs.ca });
    const response = await fetch(url, { dispatcher } as unknown as RequestInit);
    return { status: response.status, body: await response.text() };
  },
  'undici.request': async (url, chain) => {
    const { statusCode, body } = await request(url, { dispatcher: chain.dispatcher({ ca: certs.ca }) });
    return { status: statusCode, body: await body.text() };
  },
  axios: async (url, chain) => {
    const agent = chain.agent({ ca: certs.ca });
    // proxy: false: axios would otherwise apply *_PROXY variables of the environment.
    const response = await axios.get<string>(url, {
      httpAgent: agent,
      httpsAgent: agent,
      proxy: false,
      responseType: 'text',
    });
    return { status: response.status, body: response.data };
  },
  got: async (url, chain) => {
    const agent = chain.agent({ ca: certs.ca });
    const response = await got(url, { agent: { http: agent, https: agent }, retry: { limit: 0 } });
    return { status: response.statusCode, body: response.body };
  },
};

const CHAIN_NAMES = ['socks5 -> http', 'https -> socks5'] as const;

function chainNamed(name: string): { chain: Chain; absolute: boolean } {
  const spec = mixedChains(env).find((c) => c.name === name);
  if (!spec) throw new Error(`no chain ${name}`);
  return { chain: new Chain(spec.hops, { ca: certs.ca, timeoutMs: 5000 }), absolute: spec.absolute };
}

describe.each(CHAIN_NAMES)('over %s', (chainName) => {
  const cases = Object.keys(CLIENTS).flatMap((client) => [
    [client, 'http'],
    [client, 'https'],
  ]);

  it.each(cases)('%s reaches an %s origin', async (client, scheme) => {
    const { chain, absolute } = chainNamed(chainName);
    const origin = scheme === 'https' ? env.secureOrigin : env.origin;
    const host = scheme === 'https' ? 'localhost' : '127.0.0.1';
    const path = `/${client.replace(/\W+/g, '-')}/${scheme}`;
    const from = env.http.log.length;
    try {
      const reply = await CLIENTS[client]?.(`${scheme}://${host}:${origin.port}${path}`, chain);
      expect(reply?.status).toBe(200);
      const echoed = JSON.parse(reply?.body ?? '') as Echoed;
      expect(echoed).toMatchObject({ method: 'GET', url: path, headers: { host: `${host}:${origin.port}` } });
      expect(echoed.headers).not.toHaveProperty('proxy-authorization');
      expectNoSecret(reply?.body);
    } finally {
      await chain.close();
    }
    if (absolute) {
      // The HTTP proxy is the last hop: absolute-form for http://, CONNECT for https://.
      const seen = env.http.log.slice(from);
      const expected =
        scheme === 'http'
          ? { type: 'request', url: `http://${host}:${origin.port}${path}` }
          : { type: 'connect', target: `${host}:${origin.port}` };
      expect(seen).toContainEqual(expect.objectContaining(expected));
    }
  });

  it.each(['ws', 'wss'])('ws reaches a %s:// server (the upgrade always tunnels)', async (scheme) => {
    const { chain, absolute } = chainNamed(chainName);
    const server = servers[scheme] as Fixture;
    const from = env.http.log.length;
    const socket = new WebSocket(`${scheme}://localhost:${server.port}/chat`, {
      agent: chain.agent({ ca: certs.ca }),
    });
    try {
      const messages: string[] = [];
      await new Promise<void>((resolve, reject) => {
        socket.on('message', (data) => {
          messages.push(String(data));
          if (messages.length === 1) socket.send('ping');
          else resolve();
        });
        socket.once('error', reject);
      });
      expect(messages).toEqual(['hello clean', 'echo ping']);
    } finally {
      socket.terminate();
      await chain.close();
    }
    if (absolute) {
      const seen = env.http.log.slice(from);
      expect(seen).toContainEqual(
        expect.objectContaining({ type: 'connect', target: `localhost:${server.port}` }),
      );
      expect(seen.some((e) => e.type === 'request')).toBe(false);
    }
  });

  it.each(['plain', 'implicit TLS'])(
    'an SMTP-style exchange (%s) runs over chain.connect()',
    async (kind) => {
      const { chain } = chainNamed(chainName);
      const server = (kind === 'plain' ? servers.smtp : servers.smtps) as Fixture;
      const tunnel = await chain.connect(`localhost:${server.port}`);
      const socket: Duplex =
        kind === 'plain' ? tunnel : tls.connect({ socket: tunnel, servername: 'localhost', ca: certs.ca });
      try {
        const lines = lineReader(socket);
        expect(await lines.next()).toMatch(/^220 /);
        socket.write('EHLO client.test\r\n');
        expect(await lines.next()).toBe('250 EHLO client.test');
        socket.write('QUIT\r\n');
        expect(await lines.next()).toBe('250 QUIT');
      } finally {
        socket.destroy();
        tunnel.destroy();
      }
    },
  );
});

describe('a dead first hop reaches each client as the ChainError', () => {
  /** The ChainError itself or, for clients that wrap errors (fetch, got, axios), its cause. */
  const chainErrorOf = (error: unknown) => (error instanceof ChainError ? error : (error as Error).cause);

  it.each([...Object.keys(CLIENTS), 'ws'])('%s', async (client) => {
    const port = await closedPort();
    const chain = new Chain([`socks5://${USER}:${encodeURIComponent(SECRET)}@127.0.0.1:${port}`]);
    const url = `http://127.0.0.1:${env.origin.port}/`;
    try {
      const error =
        client === 'ws'
          ? await new Promise((resolve) => {
              new WebSocket(url.replace('http', 'ws'), { agent: chain.agent() }).once('error', resolve);
            })
          : await CLIENTS[client]?.(url, chain).catch((e: unknown) => e);
      const cause = chainErrorOf(error);
      expect(cause).toBeInstanceOf(ChainError);
      expect(cause).toMatchObject({ code: 'HOP_UNREACHABLE', hopIndex: 0 });
      expectNoSecret(cause);
    } finally {
      await chain.close();
    }
  });
});

/** Reads CRLF-terminated lines from a stream, one per next(). */
function lineReader(stream: Duplex): { next(): Promise<string> } {
  let buffered = '';
  const waiting: Array<() => void> = [];
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    for (const wake of waiting.splice(0)) wake();
  });
  return {
    async next() {
      for (;;) {
        const end = buffered.indexOf('\r\n');
        if (end !== -1) {
          const line = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          return line;
        }
        await new Promise<void>((resolve, reject) => {
          waiting.push(resolve);
          stream.once('error', reject);
        });
      }
    },
  };
}
