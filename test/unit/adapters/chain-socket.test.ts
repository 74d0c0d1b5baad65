/** chain.createConnection(): a socket returned at once, connected through the chain later. */
import { afterEach, describe, expect, it } from 'vitest';
import { Chain, ChainError } from '../../../src/index.js';
import { type Fixture, startEchoServer, startSocksServer } from '../../fixtures/index.js';
import { openTcpHandles } from '../../helpers.js';

const fixtures: Fixture[] = [];
afterEach(async () => {
  await Promise.all(fixtures.splice(0).map((f) => f.close()));
});

async function setup(auth = { username: 'alice', password: 's3cret' }) {
  const echo = await startEchoServer();
  const socks = await startSocksServer({ versions: [5], auth: { username: 'alice', password: 's3cret' } });
  fixtures.push(echo, socks);
  const hop = `socks5://${auth.username}:${auth.password}@127.0.0.1:${socks.port}`;
  return { echo, socks, chain: new Chain([hop], { timeoutMs: 5000 }) };
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.on('data', (chunk: Buffer) => (text += chunk));
    stream.once('end', () => resolve(text));
    stream.once('error', reject);
  });
}

describe('chain.createConnection', () => {
  it('queues writes made before the tunnel is up and emits connect', async () => {
    const { echo, chain } = await setup();
    const socket = chain.createConnection(`127.0.0.1:${echo.port}`);
    expect(socket.connecting).toBe(true);
    expect(socket.readyState).toBe('opening');
    socket.setNoDelay(true).setKeepAlive(true, 1000);
    socket.write('before connect;');
    const connected = new Promise<void>((resolve) => socket.once('connect', resolve));
    const text = readAll(socket);
    await connected;
    expect(socket.readyState).toBe('open');
    expect(socket.remoteAddress).toBe('127.0.0.1');
    expect(socket.remotePort).toBe(echo.port);
    expect(socket.remoteFamily).toBe('IPv4');
    expect(socket.localPort).toBeGreaterThan(0);
    socket.end('after');
    expect(await text).toBe('before connect;after');
    expect(socket.bytesWritten).toBe(20);
    expect(socket.bytesRead).toBe(20);
  });

  it('waits for connect(port, host) without a target, as pg calls it', async () => {
    const { echo, chain } = await setup();
    const socket = chain.createConnection();
    expect(socket.pending).toBe(true);
    expect(socket.connecting).toBe(false);
    const onConnect = new Promise<void>((resolve) => socket.connect(echo.port, '127.0.0.1', resolve));
    socket.end('lazy');
    expect(await readAll(socket)).toBe('lazy');
    await onConnect;
  });

  it('fails with the ChainError, and the queued writes fail with it', async () => {
    const { echo, chain } = await setup({ username: 'alice', password: 'wrong' });
    const socket = chain.createConnection({ host: '127.0.0.1', port: echo.port });
    const written = new Promise<unknown>((resolve) => socket.write('lost', resolve));
    const error = await new Promise<unknown>((resolve) => socket.once('error', resolve));
    expect(error).toBeInstanceOf(ChainError);
    expect(error).toMatchObject({ code: 'AUTH_FAILED', hopIndex: 0 });
    expect(await written).toBeInstanceOf(Error);
    expect(String(error)).not.toContain('wrong');
  });

  it('destroyed while opening: the tunnel is abandoned, no socket left behind', async () => {
    const { echo, chain } = await setup();
    const handles = openTcpHandles();
    const socket = chain.createConnection(`127.0.0.1:${echo.port}`);
    const closed = new Promise<void>((resolve) => socket.once('close', resolve));
    socket.destroy();
    await closed;
    await new Promise((r) => setTimeout(r, 200));
    expect(openTcpHandles()).toBeLessThanOrEqual(handles + 1);
    expect(socket.readyState).toBe('closed');
  });

  it('allowHalfOpen: after end() the rest of the reply still arrives', async () => {
    const { echo, chain } = await setup();
    const socket = chain.createConnection(`127.0.0.1:${echo.port}`, { allowHalfOpen: true });
    const text = readAll(socket);
    socket.end('half-closed');
    expect(await text).toBe('half-closed');
  });

  it('setTimeout emits timeout once the tunnel is idle', async () => {
    const { echo, chain } = await setup();
    const socket = chain.createConnection(`127.0.0.1:${echo.port}`);
    const timedOut = new Promise<void>((resolve) => socket.setTimeout(100, resolve));
    await timedOut;
    socket.destroy();
  });
});
