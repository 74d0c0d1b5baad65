/**
 * Issue #8, credentials: through a chain with a password at every hop, hop N receives hop N's
 * credentials and nobody else's (the origin none), and no password shows in anything the
 * library emits, on success or failure: errors and their causes, toString/inspect/JSON of the
 * chain, its hops and errors, probe reports, every CLI output format and serve's log lines.
 */
import { EventEmitter } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { run as serveRun } from '../../src/cli/serve/serve.js';
import { Chain, ChainError } from '../../src/index.js';
import { formatRecord } from '../../src/server/log.js';
import { certs, closedPort, type Fixture, startHostileServer } from '../fixtures/index.js';
import { hopUrl } from '../helpers.js';
import { startScriptedProxy } from './scripted-proxy.js';
import {
  Capture,
  expectNoPassword,
  forms,
  PASSWORDS,
  type SecretEnv,
  shown,
  startSecretEnv,
  USERS,
} from './secrets.js';

const CA_FILE = fileURLToPath(new URL('../fixtures/certs/ca.crt', import.meta.url));
const QUICK = { ca: certs.ca, timeoutMs: 4000, hopTimeoutMs: 1500 };

let env: SecretEnv;
let closed: number;
const extra: Fixture[] = [];

beforeAll(async () => {
  env = await startSecretEnv();
  closed = await closedPort();
});

afterAll(async () => {
  await Promise.all([env.close(), ...extra.map((f) => f.close())]);
});

const chain = (options = {}) => new Chain(env.urls, { ...QUICK, ...options });
const wrongAt = (i: number) =>
  env.urls.map((url, k) =>
    k === i ? url.replace(encodeURIComponent(PASSWORDS[i] as string), 'wrong') : url,
  );

function get(agent: http.Agent, url: string): Promise<{ status: number; body: string }> {
  const client = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.get(url, { agent, ca: certs.ca }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('credentials for hop N go to hop N only', () => {
  it('over raw tunnels, the agent (absolute-form and TLS) and the dispatcher', async () => {
    const c = chain();
    const socket = await c.connect({ host: '127.0.0.1', port: env.echo.port });
    socket.destroy();
    const agent = c.agent();
    expect((await get(agent, `http://127.0.0.1:${env.origin.port}/plain`)).status).toBe(200);
    expect((await get(agent, `https://localhost:${env.secureOrigin.port}/tls`)).status).toBe(200);
    const dispatcher = c.dispatcher({ ca: certs.ca });
    for (const url of [
      `http://127.0.0.1:${env.origin.port}/d`,
      `https://localhost:${env.secureOrigin.port}/d`,
    ]) {
      const response = await fetch(url, { dispatcher } as unknown as RequestInit);
      expect(response.status).toBe(200);
      await response.text();
    }
    await c.close();

    const [httpHop, socksHop, httpsHop] = env.hops;
    // Each hop got its own credentials...
    const basic = (i: number) => `Basic ${Buffer.from(`${USERS[i]}:${PASSWORDS[i]}`).toString('base64')}`;
    expect(
      httpHop.log.some((e) => (e.headers as Record<string, string>)?.['proxy-authorization'] === basic(0)),
    ).toBe(true);
    expect(socksHop.log.some((e) => e.type === 'socks5-auth' && e.password === PASSWORDS[1] && e.ok)).toBe(
      true,
    );
    expect(
      httpsHop.log.some((e) => (e.headers as Record<string, string>)?.['proxy-authorization'] === basic(2)),
    ).toBe(true);
    // ...and no one else's.
    expectNoPassword([JSON.stringify(httpHop.log)], [1, 2]);
    expectNoPassword([JSON.stringify(socksHop.log)], [0, 2]);
    expectNoPassword([JSON.stringify(httpsHop.log)], [0, 1]);
    // The origins saw no proxy credentials at all.
    const requests = [...env.origin.log, ...env.secureOrigin.log].filter((e) => e.type === 'request');
    expect(requests.length).toBeGreaterThanOrEqual(4);
    for (const request of requests) expect(request.headers).not.toHaveProperty('proxy-authorization');
    expectNoPassword([JSON.stringify(requests)]);
  });

  it("serve's own listener credentials go nowhere: not to the hops, not to the origin", async () => {
    const listenerPassword = 'Lq4wT-listener';
    const handle = await chain().serve({
      listen: 'http://127.0.0.1:0',
      auth: { username: 'me', password: listenerPassword },
    });
    const port = Number(new URL(handle.urls()[0] as string).port);
    const basic = `Basic ${Buffer.from(`me:${listenerPassword}`).toString('base64')}`;
    // A forwarded (absolute-form) request, and a CONNECT tunnel, both with the listener's credentials.
    const status = await new Promise<number>((resolve, reject) => {
      http
        .get(
          {
            host: '127.0.0.1',
            port,
            path: `http://127.0.0.1:${env.origin.port}/via-listener`,
            headers: { 'Proxy-Authorization': basic },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        )
        .on('error', reject);
    });
    expect(status).toBe(200);
    const tunnel = await new Chain([`http://me:${listenerPassword}@127.0.0.1:${port}`]).connect({
      host: '127.0.0.1',
      port: env.echo.port,
    });
    tunnel.destroy();
    await handle.close({ drainTimeoutMs: 100 });
    const forwarded = env.origin.log.find((e) => e.url === '/via-listener');
    expect(forwarded).toBeDefined();
    expect(forwarded?.headers).not.toHaveProperty('proxy-authorization');
    for (const text of [JSON.stringify(env.origin.log), ...env.hops.map((hop) => JSON.stringify(hop.log))]) {
      expect(text).not.toContain(listenerPassword);
      expect(text).not.toContain(basic.slice(6));
    }
  });

  it.each([
    [
      'an HTTP hop that answers 407',
      'http',
      [
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="x"\r\nContent-Length: 0\r\n\r\n',
      ],
    ],
    ['a SOCKS5 hop that accepts no method', 'socks5', [Buffer.from([5, 0xff])]],
    [
      'a SOCKS5 hop that refuses the connection',
      'socks5',
      [Buffer.from([5, 0]), Buffer.from([5, 2, 0, 1, 0, 0, 0, 0, 0, 0])],
    ],
  ] as const)('%s never receives the credentials of the hops after it', async (_name, scheme, replies) => {
    const refusing = await startScriptedProxy({ replies: [...replies], after: 'hold' });
    extra.push(refusing);
    const c = new Chain(
      [hopUrl(scheme, refusing, { user: 'x', pass: 'own-password' }), env.urls[1], env.urls[2]],
      QUICK,
    );
    const error = await failure(() => c.connect({ host: '127.0.0.1', port: env.echo.port }));
    expect(error).toBeInstanceOf(ChainError);
    expect((error as ChainError).hopIndex).toBe(0);
    const received = refusing.log
      .filter((e) => e.type === 'data')
      .map((e) => (e.chunk as Buffer).toString('latin1'));
    expect(received.join('')).not.toBe('');
    expectNoPassword([received.join('')], [1, 2]);
  });
});

describe('no password in anything the library shows', () => {
  it('the chain, its hops and its options, in every rendering', () => {
    const c = chain();
    expectNoPassword([...shown(c), ...c.hops.flatMap(shown), ...shown(c.options), ...shown(c.toJSON())]);
  });

  it('errors of every kind, their messages, causes, JSON and inspect output', async () => {
    const silent = await startHostileServer('silent');
    extra.push(silent);
    const target = { host: '127.0.0.1', port: env.echo.port };
    const errors = [
      ...(await Promise.all(
        [0, 1, 2].map((i) => failure(() => new Chain(wrongAt(i), QUICK).connect(target))),
      )),
      await failure(() => chain().connect({ host: '127.0.0.1', port: closed })),
      await failure(() =>
        new Chain(
          [
            env.urls[0],
            hopUrl('socks5', { host: '127.0.0.1', port: closed }, { user: 'bob', pass: PASSWORDS[1] }),
          ],
          QUICK,
        ).connect(target),
      ),
      await failure(() => new Chain(env.urls, { ...QUICK, ca: undefined }).connect(target)),
      await failure(() =>
        new Chain([env.urls[0], hopUrl('socks5', silent, { user: 'bob', pass: PASSWORDS[1] })], {
          ...QUICK,
          hopTimeoutMs: 300,
        }).connect(target),
      ),
      await failure(() => chain().connect(target, { signal: AbortSignal.timeout(5) })),
      await failure(
        async () => new Chain([`socks4://bob:${encodeURIComponent(PASSWORDS[1])}@127.0.0.1:1080`]),
      ),
      await failure(async () => new Chain([`${env.urls[0]}/path`])),
      await failure(async () => new Chain([env.urls[0].replace(/:\d+$/, ':99999')])),
      await failure(() => get(new Chain(wrongAt(2), QUICK).agent(), `http://127.0.0.1:${env.origin.port}/`)),
      await failure(() =>
        get(new Chain(wrongAt(1), QUICK).agent(), `https://localhost:${env.secureOrigin.port}/`),
      ),
      await failure(() =>
        fetch(`http://127.0.0.1:${env.origin.port}/`, {
          dispatcher: new Chain(wrongAt(0), QUICK).dispatcher(),
        } as unknown as RequestInit),
      ),
    ];
    expect(
      errors.filter((e) => e instanceof ChainError || (e as Error).cause instanceof ChainError).length,
    ).toBeGreaterThanOrEqual(12);
    expectNoPassword(errors.flatMap(shown));
  });

  it('the CLI: probe, check, fetch in every output format, success and failure', async () => {
    const list = env.urls.join(',');
    const good = `127.0.0.1:${env.echo.port}`;
    const runs = [
      ['probe', '--chain', list, '--ca', CA_FILE, good],
      ['probe', '--json', '--chain', list, '--ca', CA_FILE, good],
      ['probe', '--chain', wrongAt(1).join(','), '--ca', CA_FILE, good],
      ['probe', '--json', '--chain', list, '--ca', CA_FILE, `127.0.0.1:${closed}`],
      ['check', '--ca', CA_FILE, ...env.urls, ...wrongAt(1)],
      ['check', '--json', '--ca', CA_FILE, ...env.urls, ...wrongAt(1)],
      ['check', '--csv', '--ca', CA_FILE, ...env.urls, ...wrongAt(1)],
      ['check', '--alive-only', '--ca', CA_FILE, ...env.urls, ...wrongAt(1)],
      ['fetch', '-v', '-i', '--chain', list, '--ca', CA_FILE, `http://127.0.0.1:${env.origin.port}/cli`],
      [
        'fetch',
        '-v',
        '--chain',
        wrongAt(2).join(','),
        '--ca',
        CA_FILE,
        `https://localhost:${env.secureOrigin.port}/`,
      ],
      ['fetch', '-v', '--chain', `${env.urls[0]}/bad`, `http://127.0.0.1:${env.origin.port}/`],
    ];
    const outputs: string[] = [];
    const codes: number[] = [];
    for (const argv of runs) {
      const stdout = new Capture();
      const stderr = new Capture();
      codes.push(await main(argv, { stdout, stderr, env: { NO_COLOR: '1' } }));
      outputs.push(stdout.text, stderr.text);
    }
    // Successes and failures both ran (exit 0 and non-zero), and they said something.
    expect(codes).toContain(0);
    expect(codes.some((code) => code !== 0)).toBe(true);
    expect(outputs.join('')).toContain('***');
    expectNoPassword(outputs);
  });

  it("serve's log lines and messages, with listener credentials too, for tunnels that work and fail", async () => {
    const signals = new EventEmitter();
    const stdout = new Capture();
    const stderr = new Capture();
    const listenerPassword = PASSWORDS[0];
    const running = serveRun(
      [
        '--listen',
        'socks5://127.0.0.1:0',
        '--auth',
        `me:${listenerPassword}`,
        '--verbose',
        '--chain',
        env.urls.join(','),
        '--ca',
        CA_FILE,
      ],
      { stdout, stderr, env: { NO_COLOR: '1' } },
      { signals },
    );
    const until = Date.now() + 5000;
    while (!/listening (\S+)/.test(stdout.text) && Date.now() < until)
      await new Promise((r) => setTimeout(r, 20));
    const listener = /listening socks5:\/\/127\.0\.0\.1:(\d+)/.exec(stdout.text)?.[1];
    expect(listener).toBeDefined();
    const through = (password: string) =>
      new Chain([`socks5://me:${encodeURIComponent(password)}@127.0.0.1:${listener}`], { timeoutMs: 6000 });
    const ok = await through(listenerPassword).connect({ host: '127.0.0.1', port: env.echo.port });
    ok.end();
    await failure(() => through(listenerPassword).connect({ host: '127.0.0.1', port: closed }));
    await failure(() =>
      through('not-the-listener-password').connect({ host: '127.0.0.1', port: env.echo.port }),
    );
    await new Promise((r) => setTimeout(r, 200));
    signals.emit('SIGINT', 'SIGINT');
    expect(await running).toBe(0);
    expect(stderr.text.split('\n').length).toBeGreaterThanOrEqual(3);
    expectNoPassword([stdout.text, stderr.text]);
  });

  it('connection records of chain.serve(), as objects and formatted', async () => {
    const records: unknown[] = [];
    const handle = await chain().serve({
      listen: 'http://127.0.0.1:0',
      onConnection: (r) => records.push(r),
    });
    const url = handle.urls()[0] as string;
    const viaListener = new Chain([url], { timeoutMs: 6000 });
    (await viaListener.connect({ host: '127.0.0.1', port: env.echo.port })).destroy();
    await failure(() => viaListener.connect({ host: '127.0.0.1', port: closed }));
    await handle.close({ drainTimeoutMs: 100 });
    expect(records.length).toBeGreaterThanOrEqual(2);
    const lines = records.map((r) => formatRecord(r as never, { verbose: true }));
    expectNoPassword([...records.flatMap(shown), ...lines]);
  });

  it('a hop URL in every form the password can take is redacted the same way', () => {
    for (const i of [0, 1, 2]) {
      const hop = new Chain([env.urls[i] as string]).hops[0];
      expect(hop?.url).toContain(':***@');
      expect(hop?.password).toBe(PASSWORDS[i]);
      expectNoPassword(shown(hop), [i]);
      expect(forms(i)).toHaveLength(5);
    }
  });
});
