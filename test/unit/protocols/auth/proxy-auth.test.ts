/**
 * Which Proxy-Authorization each CONNECT carries (preemptive Basic or not, never Basic again
 * to a hop that offered only other schemes, state per chain) and the onProxyAuth hook, against
 * a scripted proxy: a real one that offers Negotiate needs a KDC (docs/hops.md has the recipe).
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { hintFor } from '../../../../src/cli/output/hints.js';
import { Chain, ChainError, type ProxyAuthRequest } from '../../../../src/index.js';

interface Scripted {
  url: string;
  port: number;
  /** Proxy-Authorization of each request, in order ('' when none). */
  seen: string[];
  close(): Promise<void>;
}

const open: Scripted[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});

/** A proxy that answers 407 with `offer` (keeping the connection) until `accept` likes the header, then echoes. */
async function scriptedProxy(offer: string[], accept: (authorization: string) => boolean): Promise<Scripted> {
  const seen: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (let end = buffer.indexOf('\r\n\r\n'); end !== -1; end = buffer.indexOf('\r\n\r\n')) {
        const head = buffer.subarray(0, end).toString('latin1');
        buffer = buffer.subarray(end + 4);
        const authorization = /^proxy-authorization: *(.*)$/im.exec(head)?.[1] ?? '';
        seen.push(authorization);
        if (accept(authorization)) {
          socket.off('data', onData);
          socket.write('HTTP/1.1 200 Connection established\r\n\r\n');
          if (buffer.length > 0) socket.write(buffer);
          socket.pipe(socket);
          return;
        }
        const challenges = offer.map((c) => `Proxy-Authenticate: ${c}\r\n`).join('');
        socket.write(`HTTP/1.1 407 Proxy Authentication Required\r\n${challenges}Content-Length: 0\r\n\r\n`);
      }
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const proxy: Scripted = {
    url: `127.0.0.1:${port}`,
    port,
    seen,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  open.push(proxy);
  return proxy;
}

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function roundTrip(chain: Chain): Promise<void> {
  const socket = await chain.connect('127.0.0.1:9');
  try {
    const echoed = new Promise<string>((resolve) =>
      socket.once('data', (d: Buffer) => resolve(d.toString())),
    );
    socket.write('ping');
    expect(await echoed).toBe('ping');
  } finally {
    socket.destroy();
  }
}

async function failure(chain: Chain): Promise<ChainError> {
  const error = await chain.connect('127.0.0.1:9').then(
    (s) => {
      s.destroy();
      throw new Error('the tunnel opened');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ChainError);
  return error as ChainError;
}

describe('when Basic is sent', () => {
  it('preemptively by default, as curl does', async () => {
    const proxy = await scriptedProxy(['Basic realm="x"'], (a) => a === basic('alice', 'pw'));
    await roundTrip(new Chain([`http://alice:pw@${proxy.url}`]));
    expect(proxy.seen).toEqual([basic('alice', 'pw')]);
  });

  it('only once challenged with auth.preemptive false, and for DOMAIN\\user names', async () => {
    const proxy = await scriptedProxy(['Basic realm="x"'], (a) => a.startsWith('Basic '));
    const hop = {
      protocol: 'http' as const,
      host: '127.0.0.1',
      port: proxy.port,
      username: 'alice',
      password: 'pw',
    };
    await roundTrip(new Chain([{ ...hop, auth: { preemptive: false } }]));
    expect(proxy.seen).toEqual(['', basic('alice', 'pw')]);
    proxy.seen.length = 0;
    await roundTrip(new Chain([`http://CORP%5Calice:pw@${proxy.url}`]));
    expect(proxy.seen).toEqual(['', basic('CORP\\alice', 'pw')]);
  });

  it('never again on this chain to a hop that offered only other schemes; another chain learns for itself', async () => {
    const proxy = await scriptedProxy(['Negotiate'], () => false);
    const chain = new Chain([`http://alice:Secret-9@${proxy.url}`]);
    const first = await failure(chain);
    expect(first.code).toBe('AUTH_UNSUPPORTED');
    expect(first.message).toMatch(/offers only Negotiate/);
    expect(first.message).not.toMatch(/Secret-9|password/);
    expect(proxy.seen).toEqual([basic('alice', 'Secret-9')]);
    expect((await failure(chain)).code).toBe('AUTH_UNSUPPORTED');
    expect(proxy.seen).toEqual([basic('alice', 'Secret-9'), '']);
    await failure(new Chain([`http://alice:Secret-9@${proxy.url}`]));
    expect(proxy.seen[2]).toBe(basic('alice', 'Secret-9'));
  });
});

describe('onProxyAuth', () => {
  it('answers a scheme sockschain lacks with headers, on the same connection; a hop hook wins', async () => {
    const proxy = await scriptedProxy(['Negotiate', 'Basic realm="x"'], (a) => a === 'Negotiate dG9rZW4=');
    const calls: ProxyAuthRequest[] = [];
    const chain = new Chain(
      [
        {
          protocol: 'http',
          host: '127.0.0.1',
          port: proxy.port,
          auth: {
            onProxyAuth: (request) => {
              calls.push(request);
              return { headers: { 'Proxy-Authorization': 'Negotiate dG9rZW4=' } };
            },
          },
        },
      ],
      { onProxyAuth: () => expect.fail('the chain hook must not be called when the hop has one') },
    );
    await roundTrip(chain);
    expect(proxy.seen).toEqual(['', 'Negotiate dG9rZW4=']);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ hopIndex: 0, hop: `http://${proxy.url}`, attempt: 1 });
    expect(calls[0]?.challenges.map((c) => c.scheme)).toEqual(['negotiate', 'basic']);
  });

  it('gives credentials (from a vault) that sockschain answers with; called again when refused', async () => {
    const proxy = await scriptedProxy(['Basic realm="x"'], (a) => a === basic('vault', 'right'));
    const attempts: number[] = [];
    const chain = new Chain([`http://${proxy.url}`], {
      onProxyAuth: ({ attempt }) => {
        attempts.push(attempt);
        return { username: 'vault', password: attempt === 1 ? 'Wr0ng-Vault' : 'right' };
      },
    });
    await roundTrip(chain);
    expect(attempts).toEqual([1, 2]);
    expect(proxy.seen).toEqual(['', basic('vault', 'Wr0ng-Vault'), basic('vault', 'right')]);
  });

  it('undefined lets the 407 stand; the hook password never shows in the error', async () => {
    const proxy = await scriptedProxy(['Basic realm="x"'], () => false);
    const chain = new Chain([`http://${proxy.url}`], {
      onProxyAuth: ({ attempt }) => (attempt === 1 ? { username: 'v', password: 'Hook-Secret1' } : undefined),
    });
    const error = await failure(chain);
    expect(error.code).toBe('AUTH_FAILED');
    expect(error.message).toMatch(/Basic credentials rejected/);
    expect(JSON.stringify(error)).not.toContain('Hook-Secret1');
    expect(String(error.stack)).not.toContain('Hook-Secret1');
  });

  it('a hook that throws or returns an unsendable header is a typed error', async () => {
    const proxy = await scriptedProxy(['Negotiate'], () => false);
    const throwing = new Chain([`http://${proxy.url}`], {
      onProxyAuth: () => {
        throw new Error('vault locked');
      },
    });
    const thrown = await failure(throwing);
    expect(thrown.code).toBe('AUTH_FAILED');
    expect(thrown.message).toMatch(/onProxyAuth threw/);
    const injecting = new Chain([`http://${proxy.url}`], {
      onProxyAuth: () => ({ headers: { 'Proxy-Authorization': 'Negotiate x\r\nX-Evil: 1' } }),
    });
    expect((await failure(injecting)).code).toBe('INVALID_CONFIG');
  });

  it('without a hook or credentials, a Negotiate-only proxy is AUTH_UNSUPPORTED, a Basic one AUTH_REQUIRED', async () => {
    const negotiate = await scriptedProxy(['Negotiate'], () => false);
    expect((await failure(new Chain([`http://${negotiate.url}`]))).code).toBe('AUTH_UNSUPPORTED');
    const basicOnly = await scriptedProxy(['Basic realm="x"'], () => false);
    expect((await failure(new Chain([`http://${basicOnly.url}`]))).code).toBe('AUTH_REQUIRED');
  });
});

describe('the CLI hint', () => {
  it('for AUTH_UNSUPPORTED says what to add, and no word of checking a password', async () => {
    const proxy = await scriptedProxy(['Negotiate'], () => false);
    const error = await failure(new Chain([`http://alice:pw@${proxy.url}`]));
    const hint = hintFor(error, 1);
    expect(hint).toMatch(/onProxyAuth/);
    expect(hint).not.toMatch(/password/i);
  });
});
