/** connectDirect and chain.bypasses: the path NO_PROXY targets take, with the same error contract as connect. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chain, connectDirect } from '../../../src/index.js';
import { closedPort, type Fixture, startEchoServer } from '../../fixtures/index.js';
import { echo, eventually, expectChainError, openTcpHandles } from '../../helpers.js';

let echoServer: Fixture;
let v6echo: Fixture;

beforeAll(async () => {
  echoServer = await startEchoServer();
  v6echo = await startEchoServer({ host: '::1' });
});

afterAll(async () => {
  await Promise.all([echoServer.close(), v6echo.close()]);
});

describe('connectDirect', () => {
  it('resolves a connected socket, for IPv4, IPv6 and names', async () => {
    for (const target of [
      `127.0.0.1:${echoServer.port}`,
      `[::1]:${v6echo.port}`,
      { host: 'localhost', port: echoServer.port },
    ]) {
      const socket = await connectDirect(target);
      expect(await echo(socket, 'direct')).toBe('direct');
      socket.destroy();
    }
  });

  it('a refused port is TARGET_UNREACHABLE with no hop, and leaves nothing open', async () => {
    const before = openTcpHandles();
    const error = await expectChainError(connectDirect(`127.0.0.1:${await closedPort()}`), {
      code: 'TARGET_UNREACHABLE',
      hopIndex: -1,
      phase: 'tcp',
    });
    expect(error.message).toMatch(/cannot connect directly to 127\.0\.0\.1:\d+ \(NO_PROXY\): ECONNREFUSED/);
    await eventually(() => openTcpHandles() <= before);
  });

  it('aborts: ABORTED, also when the signal is already aborted', async () => {
    await expectChainError(connectDirect(`127.0.0.1:${echoServer.port}`, { signal: AbortSignal.abort() }), {
      code: 'ABORTED',
    });
  });

  it('a bad target is INVALID_CONFIG, as a rejection', async () => {
    await expect(connectDirect('not a target')).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });
});

describe('chain.bypasses', () => {
  const chain = new Chain('socks5://127.0.0.1:1', { noProxy: ['.internal', '10.0.0.0/8', 'localhost:8080'] });

  it('says which targets the chain connects directly', () => {
    expect(chain.bypasses('api.internal:443')).toBe(true);
    expect(chain.bypasses('https://api.internal/')).toBe(true);
    expect(chain.bypasses({ host: '10.9.8.7', port: 22 })).toBe(true);
    expect(chain.bypasses('localhost:8080')).toBe(true);
    expect(chain.bypasses('localhost:8081')).toBe(false);
    expect(chain.bypasses('example.com:443')).toBe(false);
  });

  it('connect takes the direct path for them, even though the only hop is dead', async () => {
    const direct = new Chain(`socks5://127.0.0.1:${await closedPort()}`, { noProxy: '127.0.0.1' });
    const socket = await direct.connect(`127.0.0.1:${echoServer.port}`);
    expect(await echo(socket, 'bypassed')).toBe('bypassed');
    socket.destroy();
    await expectChainError(direct.connect(`[::1]:${v6echo.port}`), { code: 'HOP_UNREACHABLE', hopIndex: 0 });
  });
});
