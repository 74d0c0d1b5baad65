/**
 * dial() names hops by their place in chain.hops as it builds errors and trace entries
 * (DialOptions.positions): nothing above it renumbers them.
 */
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dial } from '../../../src/dial/dial.js';
import type { TraceEntry } from '../../../src/dial/types.js';
import { parseHop } from '../../../src/hop.js';
import { closedPort, type Fixture, startEchoServer, startSocksServer } from '../../fixtures/index.js';
import { echo, expectChainError } from '../../helpers.js';

const fixtures: Fixture[] = [];
let echoServer: Fixture;
let socks: Fixture;

beforeAll(async () => {
  echoServer = await startEchoServer();
  socks = await startSocksServer({ versions: [5] });
  fixtures.push(echoServer, socks);
});

afterAll(async () => {
  await Promise.all(fixtures.map((f) => f.close()));
});

const target = () => ({ host: '127.0.0.1', port: echoServer.port });
const limits = { timeoutMs: 5000, hopTimeoutMs: 5000, tls: {} };

describe('dial with positions', () => {
  it('puts the positions in trace entries', async () => {
    const trace: TraceEntry[] = [];
    const hops = [parseHop(`socks5://127.0.0.1:${socks.port}`), parseHop(`socks5://127.0.0.1:${socks.port}`)];
    const socket = await dial({ hops, target: target(), ...limits, trace, positions: [4, 2] });
    expect(await echo(socket as net.Socket, 'through')).toBe('through');
    socket.destroy();
    expect(new Set(trace.map((entry) => entry.hopIndex))).toEqual(new Set([4, 2]));
  });

  it('blames the next hop by its position, in hopIndex and in the message', async () => {
    const dead = await closedPort();
    const hops = [parseHop(`socks5://127.0.0.1:${socks.port}`), parseHop(`socks5://127.0.0.1:${dead}`)];
    const error = await expectChainError(dial({ hops, target: target(), ...limits, positions: [3, 1] }), {
      code: 'HOP_UNREACHABLE',
      hopIndex: 1,
    });
    expect(error.message).toMatch(/^hop 4 \(.*\) cannot reach hop 2 \(/);
  });

  it('names the first hop by its position when it cannot be reached', async () => {
    const dead = await closedPort();
    const error = await expectChainError(
      dial({ hops: [parseHop(`socks5://127.0.0.1:${dead}`)], target: target(), ...limits, positions: [2] }),
      { code: 'HOP_UNREACHABLE', hopIndex: 2 },
    );
    expect(error.message).toContain('hop 3 (');
  });

  it('without positions, the hops are the whole chain', async () => {
    const dead = await closedPort();
    await expectChainError(
      dial({
        hops: [parseHop(`socks5://127.0.0.1:${socks.port}`), parseHop(`socks5://127.0.0.1:${dead}`)],
        target: target(),
        ...limits,
      }),
      { code: 'HOP_UNREACHABLE', hopIndex: 1 },
    );
  });
});
