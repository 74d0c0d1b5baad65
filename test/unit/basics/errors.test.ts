/** Each error code, with the hop it names and the phase, and nothing leaked on the way. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chain } from '../../../src/index.js';
import {
  certs,
  closedPort,
  type Fixture,
  startEchoServer,
  startHostileServer,
  startHttpProxy,
  startSocksServer,
} from '../../fixtures/index.js';
import { eventually, expectChainError, hopUrl, openTcpHandles, SECRET, USER } from '../../helpers.js';

const fixtures: Fixture[] = [];
const creds = { user: USER, pass: SECRET };
let echoServer: Fixture;
let http: Fixture;
let https: Fixture;
let socks5: Fixture;
let socks4: Fixture;
let closed: number;
const DENIED_PORT = 9;

beforeAll(async () => {
  const auth = { username: USER, password: SECRET };
  const deny = (_host: string, port: number) => port === DENIED_PORT;
  http = await startHttpProxy({ auth, deny });
  https = await startHttpProxy({ auth, tls: certs.localhost, deny });
  socks5 = await startSocksServer({ versions: [5], auth, deny });
  socks4 = await startSocksServer({ versions: [4], deny });
  echoServer = await startEchoServer();
  closed = await closedPort();
  fixtures.push(http, https, socks5, socks4, echoServer);
});

afterAll(async () => {
  await Promise.all(fixtures.map((f) => f.close()));
});

const quick = { ca: certs.ca, timeoutMs: 3000, hopTimeoutMs: 1500 };
const echoTarget = () => ({ host: '127.0.0.1', port: echoServer.port });

describe('HOP_UNREACHABLE', () => {
  it('names hop 0 when the first hop refuses the TCP connection', async () => {
    const chain = new Chain([`http://127.0.0.1:${closed}`, hopUrl('socks5', socks5, creds)], quick);
    const error = await expectChainError(chain.connect(echoTarget()), {
      code: 'HOP_UNREACHABLE',
      hopIndex: 0,
      phase: 'tcp',
    });
    expect(error.message).toMatch(/refused/);
  });

  it.each(['http', 'socks5'] as const)(
    'names hop 1 when a %s hop 0 reports that hop 1 refused',
    async (scheme) => {
      const first = scheme === 'http' ? hopUrl('http', http, creds) : hopUrl('socks5', socks5, creds);
      const chain = new Chain([first, `socks5://127.0.0.1:${closed}`], quick);
      await expectChainError(chain.connect(echoTarget()), {
        code: 'HOP_UNREACHABLE',
        hopIndex: 1,
        phase: 'tcp',
      });
    },
  );
});

describe('HOP_TIMEOUT', () => {
  it('a hop that accepts TCP and never answers times out at that hop', async () => {
    const silent = await startHostileServer('silent');
    fixtures.push(silent);
    const chain = new Chain([`socks5://127.0.0.1:${silent.port}`], { ...quick, hopTimeoutMs: 300 });
    const started = Date.now();
    const error = await expectChainError(chain.connect(echoTarget()), { code: 'HOP_TIMEOUT', hopIndex: 0 });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(error.message).toMatch(/300 ms/);
  });

  it('a silent HTTP hop behind a SOCKS hop is reported as reaching hop 1 (filtered or stalled)', async () => {
    const silent = await startHostileServer('silent');
    fixtures.push(silent);
    const chain = new Chain([hopUrl('http', http, creds), `http://127.0.0.1:${silent.port}`], {
      ...quick,
      hopTimeoutMs: 300,
    });
    await expectChainError(chain.connect(echoTarget()), { code: 'HOP_TIMEOUT', hopIndex: 1 });
  });

  it('the overall deadline wins over the per-hop limit', async () => {
    const silent = await startHostileServer('silent');
    fixtures.push(silent);
    const chain = new Chain([`socks5://127.0.0.1:${silent.port}`], { timeoutMs: 200, hopTimeoutMs: 5000 });
    const error = await expectChainError(chain.connect(echoTarget()), { code: 'HOP_TIMEOUT', hopIndex: 0 });
    expect(error.message).toMatch(/overall/);
  });
});

describe('authentication', () => {
  it.each([
    ['http', () => hopUrl('http', http), 0],
    ['https', () => hopUrl('https', https), 0],
    ['socks5', () => hopUrl('socks5', socks5), 0],
  ] as const)('AUTH_REQUIRED from %s without credentials', async (_name, url, hopIndex) => {
    const chain = new Chain([url()], quick);
    await expectChainError(chain.connect(echoTarget()), { code: 'AUTH_REQUIRED', hopIndex, phase: 'auth' });
  });

  it.each([
    ['http', () => hopUrl('http', http, { user: USER, pass: 'wrong' })],
    ['https', () => hopUrl('https', https, { user: USER, pass: 'wrong' })],
    ['socks5', () => hopUrl('socks5', socks5, { user: USER, pass: 'wrong' })],
  ] as const)('AUTH_FAILED from %s with a wrong password, at hop 1 of 2', async (_name, url) => {
    const chain = new Chain([hopUrl('socks5', socks5, creds), url()], quick);
    await expectChainError(chain.connect(echoTarget()), { code: 'AUTH_FAILED', hopIndex: 1, phase: 'auth' });
  });

  it('AUTH_FAILED from a proxy that answers wrong credentials with 401 (tinyproxy)', async () => {
    const tiny = await startHttpProxy({ auth: { username: USER, password: SECRET }, wrongCredsStatus: 401 });
    fixtures.push(tiny);
    const chain = new Chain([hopUrl('http', tiny, { user: USER, pass: 'nope' })], quick);
    await expectChainError(chain.connect(echoTarget()), { code: 'AUTH_FAILED', hopIndex: 0 });
  });

  it('AUTH_FAILED from a SOCKS4 proxy that wants another user id', async () => {
    const picky = await startSocksServer({ versions: [4], userId: 'carol' });
    fixtures.push(picky);
    const chain = new Chain([hopUrl('socks4', picky, { user: 'mallory' })], quick);
    await expectChainError(chain.connect(echoTarget()), { code: 'AUTH_FAILED', hopIndex: 0 });
  });
});

describe('PROXY_DENIED and TARGET_UNREACHABLE', () => {
  const lastHops = {
    http: () => hopUrl('http', http, creds),
    https: () => hopUrl('https', https, creds),
    socks5: () => hopUrl('socks5', socks5, creds),
    socks4: () => hopUrl('socks4', socks4),
  };

  it.each(Object.keys(lastHops) as Array<keyof typeof lastHops>)(
    'PROXY_DENIED when the %s ruleset denies the target',
    async (name) => {
      const chain = new Chain([hopUrl('socks5', socks5, creds), lastHops[name]()], quick);
      const error = await expectChainError(chain.connect({ host: '127.0.0.1', port: DENIED_PORT }), {
        code: 'PROXY_DENIED',
        hopIndex: 1,
      });
      expect(error.reply).toBeTruthy();
    },
  );

  it.each(['http', 'https', 'socks5'] as const)(
    'TARGET_UNREACHABLE when the target port is closed (%s)',
    async (name) => {
      const chain = new Chain([hopUrl('socks5', socks5, creds), lastHops[name]()], quick);
      const error = await expectChainError(chain.connect({ host: '127.0.0.1', port: closed }), {
        code: 'TARGET_UNREACHABLE',
        hopIndex: 1,
      });
      expect(error.target).toBe(`127.0.0.1:${closed}`);
    },
  );
});

describe('PROTOCOL_ERROR: the port speaks another protocol', () => {
  it('a SOCKS hop that answers in HTTP', async () => {
    const web = await startHostileServer('http-reply');
    fixtures.push(web);
    const chain = new Chain([`socks5://127.0.0.1:${web.port}`], quick);
    const error = await expectChainError(chain.connect(echoTarget()), {
      code: 'PROTOCOL_ERROR',
      hopIndex: 0,
    });
    expect(error.message).toMatch(/HTTP/);
  });

  it('an HTTP hop that is really a SOCKS server', async () => {
    const chain = new Chain([`http://127.0.0.1:${socks5.port}`], quick);
    await expectChainError(chain.connect(echoTarget()), { code: 'PROTOCOL_ERROR', hopIndex: 0 });
  });

  it('an https hop whose port speaks plain HTTP', async () => {
    const web = await startHostileServer('http-reply');
    fixtures.push(web);
    const chain = new Chain([`https://127.0.0.1:${web.port}`], quick);
    await expectChainError(chain.connect(echoTarget()), {
      code: 'PROTOCOL_ERROR',
      hopIndex: 0,
      phase: 'tls',
    });
  });

  it('garbage in reply to CONNECT', async () => {
    const garbage = await startHostileServer('garbage');
    fixtures.push(garbage);
    const chain = new Chain([hopUrl('socks5', socks5, creds), `http://127.0.0.1:${garbage.port}`], quick);
    await expectChainError(chain.connect(echoTarget()), { code: 'PROTOCOL_ERROR', hopIndex: 1 });
  });
});

describe('TLS_FAILED', () => {
  it.each([
    ['self-signed', certs.selfSigned],
    ['wrong host name', certs.wrongHost],
    ['expired', certs.expired],
  ] as const)('an https hop with a %s certificate, naming the hop', async (_name, pair) => {
    const bad = await startHttpProxy({ tls: pair });
    fixtures.push(bad);
    const chain = new Chain([hopUrl('socks5', socks5, creds), `https://localhost:${bad.port}`], quick);
    const error = await expectChainError(chain.connect(echoTarget()), {
      code: 'TLS_FAILED',
      hopIndex: 1,
      phase: 'tls',
    });
    expect(error.message).toMatch(/hop 2/);
  });

  it('the same hop works when verification is turned off for it', async () => {
    const bad = await startHttpProxy({ tls: certs.selfSigned });
    fixtures.push(bad);
    const chain = new Chain([
      { protocol: 'https', host: '127.0.0.1', port: bad.port, rejectUnauthorized: false },
    ]);
    const socket = await chain.connect(echoTarget());
    socket.destroy();
  });
});

describe('ABORTED', () => {
  it('an already-aborted signal fails at once', async () => {
    const chain = new Chain([hopUrl('socks5', socks5, creds)], quick);
    await expectChainError(chain.connect(echoTarget(), { signal: AbortSignal.abort() }), { code: 'ABORTED' });
  });

  it.each([
    ['tls', 'https'],
    ['handshake', 'http'],
    ['handshake', 'socks5'],
  ] as const)('aborting during %s (%s hop)', async (phase, scheme) => {
    const silent = await startHostileServer('silent');
    fixtures.push(silent);
    const chain = new Chain([`${scheme}://127.0.0.1:${silent.port}`], quick);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user gave up')), 100);
    const error = await expectChainError(chain.connect(echoTarget(), { signal: controller.signal }), {
      code: 'ABORTED',
      hopIndex: 0,
      phase,
    });
    expect((error.cause as Error).message).toBe('user gave up');
  });
});

describe('INVALID_CONFIG', () => {
  it.each(['https://u:S3cr3tPW@host:0/', 'https://u:p/S3cr3tPW@[bad/', 'u:S3cr3tPW@host'])(
    'a malformed target %s is reported without its password',
    async (target) => {
      const chain = new Chain([hopUrl('socks5', socks5, creds)]);
      const error = await expectChainError(chain.connect(target), { code: 'INVALID_CONFIG' });
      expect(JSON.stringify(error.toJSON())).not.toContain('S3cr3tPW');
      expect(error.message).not.toContain('S3cr3tPW');
    },
  );

  it('socks4 with a host name target names the fix', async () => {
    const chain = new Chain([hopUrl('socks4', socks4)]);
    const error = await expectChainError(chain.connect(`localhost:${echoServer.port}`), {
      code: 'INVALID_CONFIG',
      hopIndex: 0,
      phase: 'config',
    });
    expect(error.message).toMatch(/socks4a/);
  });

  it('dns: local makes socks4 work with a host name, resolving it here', async () => {
    const chain = new Chain([hopUrl('socks4', socks4)], { dns: 'local' });
    const socket = await chain.connect(`localhost:${echoServer.port}`);
    socket.destroy();
    expect(socks4.log.at(-1)).toMatchObject({ host: '127.0.0.1' });
  });
});

describe('no leaks after failures', () => {
  it('leaves no TCP handle open after each kind of failure', async () => {
    const before = openTcpHandles();
    const silent = await startHostileServer('silent');
    fixtures.push(silent);
    const attempts = [
      new Chain([hopUrl('socks5', socks5, creds), `socks5://127.0.0.1:${closed}`], quick).connect(
        echoTarget(),
      ),
      new Chain([hopUrl('http', http, { user: USER, pass: 'x' })], quick).connect(echoTarget()),
      new Chain([hopUrl('socks5', socks5, creds), `https://localhost:${http.port}`], quick).connect(
        echoTarget(),
      ),
      new Chain([hopUrl('http', http, creds), `socks5://127.0.0.1:${silent.port}`], {
        hopTimeoutMs: 200,
      }).connect(echoTarget()),
    ];
    const results = await Promise.allSettled(attempts);
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    await silent.close();
    await eventually(() => openTcpHandles() <= before + 1).catch(() => {
      throw new Error(
        `handles: before ${before}, now ${openTcpHandles()}; open: ${[http, https, socks5].map((f) => f.open())}`,
      );
    });
    await eventually(() => [http, https, socks5].every((f) => f.open() === 0)).catch(() => {
      throw new Error(`open: ${[http, https, socks5].map((f) => f.open())}`);
    });
  });
});
