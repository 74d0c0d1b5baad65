/** HTTP Digest (RFC 7616) for HTTP hops: the arithmetic, challenge parsing, and CONNECT against fixtures. */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chain, digestAuthorization } from '../../../../src/index.js';
import { type DigestChallenge, parseChallenges, pickDigest } from '../../../../src/protocols/auth/digest.js';
import {
  type Fixture,
  type FixtureEvent,
  startEchoServer,
  startHttpProxy,
  startSocksServer,
} from '../../../fixtures/index.js';
import { ProxyAuth } from '../../../fixtures/proxy-auth.js';
import { echo, expectChainError, hopUrl, SECRET, USER } from '../../../helpers.js';

const fixtures: Fixture[] = [];
let echoServer: Fixture;

beforeAll(async () => {
  echoServer = await startEchoServer();
  fixtures.push(echoServer);
});

afterAll(async () => {
  await Promise.all(fixtures.map((f) => f.close()));
});

describe('digestAuthorization: RFC 7616 section 3.9.1', () => {
  const challenge = (algorithm: 'MD5' | 'SHA-256'): DigestChallenge => ({
    realm: 'http-auth@example.org',
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
    algorithm,
    qop: 'auth',
    stale: false,
    userhash: false,
  });
  const answer = (algorithm: 'MD5' | 'SHA-256') =>
    digestAuthorization({
      username: 'Mufasa',
      password: 'Circle of Life',
      method: 'GET',
      uri: '/dir/index.html',
      challenge: challenge(algorithm),
      nc: 1,
      cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    });

  it('MD5', () => {
    expect(answer('MD5')).toContain('response="8ca523f5e9506fed4657c9700eebdbec"');
  });

  it('SHA-256', () => {
    expect(answer('SHA-256')).toContain(
      'response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"',
    );
  });

  it('carries every parameter the server needs, quoted where RFC 7616 quotes them', () => {
    const header = answer('SHA-256');
    expect(header).toMatch(/^Digest username="Mufasa", realm="http-auth@example.org", nonce="7ypf/);
    expect(header).toContain('uri="/dir/index.html"');
    expect(header).toContain('algorithm=SHA-256');
    expect(header).toContain('opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"');
    expect(header).toContain('qop=auth, nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"');
    expect(header).not.toContain('Circle of Life');
  });

  it('escapes quotes, sends non-ASCII names as username*, and hashes them with userhash', () => {
    const base = { password: 'x', method: 'CONNECT', uri: 'h:443', nc: 2, challenge: challenge('MD5') };
    expect(digestAuthorization({ ...base, username: 'a"b' })).toContain('username="a\\"b"');
    expect(digestAuthorization({ ...base, username: 'Jäsøn' })).toContain("username*=UTF-8''J%C3%A4s%C3%B8n");
    const hashed = digestAuthorization({
      ...base,
      username: 'Mufasa',
      challenge: { ...challenge('MD5'), userhash: true },
    });
    expect(hashed).toMatch(/username="[0-9a-f]{32}"/);
    expect(hashed).toContain('userhash=true');
    expect(digestAuthorization({ ...base, username: 'u' })).toContain('nc=00000002');
  });
});

describe('challenge parsing', () => {
  it('splits several challenges in one header and keeps quoted commas', () => {
    const challenges = parseChallenges([
      'Basic realm="a, b", Digest realm="r", nonce="n,1", qop="auth,auth-int", algorithm=MD5',
      'Negotiate abc123==',
    ]);
    expect(challenges).toEqual([
      { scheme: 'basic', params: { realm: 'a, b' } },
      { scheme: 'digest', params: { realm: 'r', nonce: 'n,1', qop: 'auth,auth-int', algorithm: 'MD5' } },
      { scheme: 'negotiate', params: {}, token68: 'abc123==' },
    ]);
  });

  it('picks the strongest Digest challenge it can answer', () => {
    const picked = pickDigest(
      parseChallenges([
        'Digest realm="r", nonce="1", algorithm=MD5, qop="auth"',
        'Digest realm="r", nonce="2", algorithm=SHA-256, qop="auth"',
      ]),
    );
    expect(picked).toMatchObject({ algorithm: 'SHA-256', nonce: '2', qop: 'auth' });
  });

  it('says why when no Digest challenge can be answered, and null when there is none', () => {
    expect(pickDigest(parseChallenges(['Digest realm="r", nonce="1", qop="auth-int"']))).toEqual({
      unsupported: 'qop=auth-int',
    });
    expect(pickDigest(parseChallenges(['Digest realm="r", nonce="1", algorithm=SHA-1']))).toEqual({
      unsupported: 'algorithm SHA-1',
    });
    expect(pickDigest(parseChallenges(['Basic realm="r"']))).toBeNull();
  });

  it('takes the legacy form without qop (RFC 2069)', () => {
    expect(pickDigest(parseChallenges(['Digest realm="r", nonce="1"']))).toMatchObject({
      qop: undefined,
      algorithm: 'MD5',
    });
  });
});

function connects(log: FixtureEvent[]): Array<string | undefined> {
  return log
    .filter((event) => event.type === 'connect')
    .map((event) => (event.headers as Record<string, string>)['proxy-authorization']?.split(' ')[0]);
}

describe('CONNECT to a Digest proxy', () => {
  const creds = { user: USER, pass: SECRET };

  it.each(['MD5', 'SHA-256'] as const)(
    '%s: answers the challenge on the same connection',
    async (algorithm) => {
      const proxy = await startHttpProxy({
        auth: { username: USER, password: SECRET },
        scheme: 'digest',
        algorithm,
      });
      fixtures.push(proxy);
      const chain = new Chain(hopUrl('http', proxy, creds));
      const socket = await chain.connect(`127.0.0.1:${echoServer.port}`);
      expect(await echo(socket, 'digest')).toBe('digest');
      socket.destroy();
      expect(proxy.connections).toBe(1);
      expect(connects(proxy.log)).toEqual(['Basic', 'Digest']);
      expect(proxy.log.filter((e) => e.type === 'auth' && e.scheme === 'digest').map((e) => e.ok)).toEqual([
        true,
      ]);
    },
  );

  it('remembers that the hop wants Digest: later connections never send Basic', async () => {
    const proxy = await startHttpProxy({
      auth: { username: USER, password: SECRET },
      scheme: 'digest',
      algorithm: 'SHA-256',
    });
    fixtures.push(proxy);
    const chain = new Chain(hopUrl('http', proxy, creds));
    for (let i = 0; i < 3; i++) {
      const socket = await chain.connect(`127.0.0.1:${echoServer.port}`);
      expect(await echo(socket, `round ${i}`)).toBe(`round ${i}`);
      socket.destroy();
    }
    // One challenge, then the nonce is reused with a growing nonce count.
    expect(connects(proxy.log)).toEqual(['Basic', 'Digest', 'Digest', 'Digest']);
    const counts = proxy.log
      .filter((e) => e.type === 'auth')
      .map((e) => (e.params as Record<string, string>).nc);
    expect(counts).toEqual(['00000001', '00000002', '00000003']);
  });

  it('per chain: two chains with the same hop URL and user share no challenge nor nonce-count', async () => {
    const proxy = await startHttpProxy({ auth: { username: USER, password: SECRET }, scheme: 'digest' });
    fixtures.push(proxy);
    for (const round of [1, 2]) {
      const chain = new Chain(hopUrl('http', proxy, creds));
      const socket = await chain.connect(`127.0.0.1:${echoServer.port}`);
      expect(await echo(socket, `chain ${round}`)).toBe(`chain ${round}`);
      socket.destroy();
    }
    // The second chain was challenged anew and counts from 1 on its own nonce.
    expect(connects(proxy.log)).toEqual(['Basic', 'Digest', 'Basic', 'Digest']);
    const answers = proxy.log.filter((e) => e.type === 'auth').map((e) => e.params as Record<string, string>);
    expect(answers.map((p) => p.nc)).toEqual(['00000001', '00000001']);
    expect(answers[0]?.nonce).not.toBe(answers[1]?.nonce);
  });

  it('pipelined: the 407 cannot be answered, its challenge is remembered for the next CONNECT', async () => {
    const proxy = await startHttpProxy({ auth: { username: USER, password: SECRET }, scheme: 'digest' });
    fixtures.push(proxy);
    const chain = new Chain(hopUrl('http', proxy, creds), { pipeline: true });
    await expectChainError(chain.connect(`127.0.0.1:${echoServer.port}`), { code: 'AUTH_FAILED' });
    const socket = await chain.connect(`127.0.0.1:${echoServer.port}`);
    expect(await echo(socket, 'pipelined')).toBe('pipelined');
    socket.destroy();
    expect(connects(proxy.log)).toEqual(['Basic', 'Digest']);
  });

  it('works for an HTTP hop behind another hop', async () => {
    const proxy = await startHttpProxy({ auth: { username: USER, password: SECRET }, scheme: 'digest' });
    const socks = await startSocksServer({ versions: [5] });
    fixtures.push(proxy, socks);
    const chain = new Chain([hopUrl('socks5', socks), hopUrl('http', proxy, creds)]);
    const socket = await chain.connect(`127.0.0.1:${echoServer.port}`);
    expect(await echo(socket, 'second hop')).toBe('second hop');
    socket.destroy();
  });

  it('wrong password: AUTH_FAILED after one Digest answer, password nowhere in the error', async () => {
    const proxy = await startHttpProxy({ auth: { username: USER, password: 'other' }, scheme: 'digest' });
    fixtures.push(proxy);
    const chain = new Chain(hopUrl('http', proxy, creds), { retries: 2 });
    const error = await expectChainError(chain.connect(`127.0.0.1:${echoServer.port}`), {
      code: 'AUTH_FAILED',
      hopIndex: 0,
      phase: 'auth',
    });
    expect(error.reply).toBe('HTTP 407 Proxy Authentication Required');
    expect(connects(proxy.log)).toEqual(['Basic', 'Digest']);
    // The next attempt answers from memory, once, and fails the same way.
    await expectChainError(chain.connect(`127.0.0.1:${echoServer.port}`), { code: 'AUTH_FAILED' });
    expect(connects(proxy.log)).toEqual(['Basic', 'Digest', 'Digest']);
  });

  it('no credentials: AUTH_REQUIRED naming the Digest scheme', async () => {
    const proxy = await startHttpProxy({ auth: { username: USER, password: SECRET }, scheme: 'digest' });
    fixtures.push(proxy);
    const error = await expectChainError(
      new Chain(hopUrl('http', proxy)).connect(`127.0.0.1:${echoServer.port}`),
      {
        code: 'AUTH_REQUIRED',
      },
    );
    expect(error.message).toMatch(/scheme Digest/);
  });
});

/** A Digest proxy that closes the connection after each 407 (or sends a body first), as some do. */
async function startClosingDigestProxy(opts: { close: boolean; body?: string }) {
  const log: FixtureEvent[] = [];
  const auth = new ProxyAuth({ username: USER, password: SECRET, scheme: 'digest', algorithm: 'MD5' }, log);
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((client) => {
    accepted++;
    sockets.add(client);
    client.on('error', () => {});
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      const end = buffered.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = buffered.slice(0, end);
      buffered = buffered.slice(end + 4);
      const target = /^CONNECT (\S+)/.exec(head)?.[1] ?? '';
      const header = /\r\nproxy-authorization: ([^\r]*)/i.exec(head)?.[1];
      if (auth.check(header, 'CONNECT', target) !== 'ok') {
        const body = opts.body ?? '';
        const reply = `HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: ${auth.challenge()}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${opts.close ? 'Connection: close\r\n' : ''}\r\n${body}`;
        if (opts.close) client.end(reply);
        else client.write(reply);
        return;
      }
      client.off('data', onData);
      const [host, port] = target.split(':');
      const upstream = net.connect(
        { host: host === '127.0.0.1' ? host : '127.0.0.1', port: Number(port) },
        () => {
          client.write('HTTP/1.1 200 Connection established\r\n\r\n');
          client.pipe(upstream).pipe(client);
        },
      );
      sockets.add(upstream);
      upstream.on('error', () => client.destroy());
    };
    client.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    log,
    get accepted() {
      return accepted;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

describe('a Digest proxy that does not keep the connection', () => {
  it('closing after its challenge: the tunnel is opened once more, with Digest', async () => {
    const proxy = await startClosingDigestProxy({ close: true });
    const chain = new Chain(`http://${USER}:${encodeURIComponent(SECRET)}@127.0.0.1:${proxy.port}`);
    const socket = await chain.connect(`127.0.0.1:${echoServer.port}`);
    expect(await echo(socket, 'reopened')).toBe('reopened');
    socket.destroy();
    expect(proxy.accepted).toBe(2);
    await proxy.close();
  });

  it('closing, with the wrong password: AUTH_FAILED, two connections, no loop', async () => {
    const proxy = await startClosingDigestProxy({ close: true });
    const chain = new Chain(`http://${USER}:wrong@127.0.0.1:${proxy.port}`);
    await expectChainError(chain.connect(`127.0.0.1:${echoServer.port}`), { code: 'AUTH_FAILED' });
    expect(proxy.accepted).toBe(2);
    await proxy.close();
  });

  it('keeping the connection after a 407 with a body: the body is read through and skipped', async () => {
    const proxy = await startClosingDigestProxy({ close: false, body: '<html>407: log in, please</html>' });
    const chain = new Chain(`http://${USER}:${encodeURIComponent(SECRET)}@127.0.0.1:${proxy.port}`);
    const socket = await chain.connect(`127.0.0.1:${echoServer.port}`);
    expect(await echo(socket, 'after the body')).toBe('after the body');
    socket.destroy();
    expect(proxy.accepted).toBe(1);
    await proxy.close();
  });
});
