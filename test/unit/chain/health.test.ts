/**
 * Active health checks against real SOCKS5 servers this test starts (microsocks, on ports
 * 14401-14402) and kills, restarts and slows down: the hop that dies is reported down and left
 * out of round-robin selection, and reported up once it is back; with `prefer: 'latency'` a hop
 * slowed by 150 ms (a delaying relay in front of it) is reported slow and avoided, then fast
 * and used again once the delay is gone. Test-bed processes are never touched.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chain, type HealthEvent } from '../../../src/index.js';
import { startDelayRelay } from '../../fixtures/delay-relay.js';
import { type Fixture, startEchoServer } from '../../fixtures/index.js';
import { eventually } from '../../helpers.js';

const PORTS = [14401, 14402];
const running = new Map<number, ChildProcess>();
let echo: Fixture;

/** microsocks on `port`, resolved once it accepts connections. */
async function startMicrosocks(port: number): Promise<void> {
  const child = spawn('microsocks', ['-i', '127.0.0.1', '-p', String(port), '-b', '127.0.0.1'], {
    stdio: 'ignore',
  });
  child.on('error', () => {});
  running.set(port, child);
  await eventually(() => child.exitCode === null && child.pid !== undefined, 2000);
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`microsocks did not listen on ${port} (is it installed? scripts/testbed/install.sh)`);
}

async function stopMicrosocks(port: number): Promise<void> {
  const child = running.get(port);
  running.delete(port);
  if (!child || child.exitCode !== null) return;
  await new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGKILL');
  });
}

beforeAll(async () => {
  echo = await startEchoServer();
  await Promise.all(PORTS.map(startMicrosocks));
});

afterAll(async () => {
  await Promise.all([...running.keys()].map(stopMicrosocks));
  await echo.close();
});

describe('health checks (round_robin over two microsocks)', () => {
  it('a killed hop goes down and is left out; restarted, it comes back up', async () => {
    const events: HealthEvent[] = [];
    // Killed before the first check: a check in flight while it dies could see the connection
    // reset mid-handshake (PROTOCOL_ERROR) instead of refused.
    await stopMicrosocks(PORTS[0] as number);
    const chain = new Chain(
      PORTS.map((port) => `socks5://127.0.0.1:${port}`),
      {
        mode: 'round_robin',
        // No passive cooldown: only the health checks take the hop out.
        cooldownMs: 0,
        timeoutMs: 3000,
        healthCheck: {
          target: `127.0.0.1:${echo.port}`,
          intervalMs: 100,
          timeoutMs: 1000,
          onChange: (event) => events.push(event),
        },
      },
    );
    try {
      await eventually(() => events.some((e) => e.state === 'down'), 5000);
      expect(events[0]).toMatchObject({ hopIndex: 0, hop: `socks5://127.0.0.1:${PORTS[0]}`, state: 'down' });
      expect(events[0]?.error?.code).toBe('HOP_UNREACHABLE');
      // Every connection now goes through hop 2, none fails.
      const before = chain.stats().hops.map((h) => h.connected);
      for (let i = 0; i < 6; i++) (await chain.connect(`127.0.0.1:${echo.port}`)).destroy();
      const after = chain.stats().hops.map((h) => h.connected);
      expect(after[0]).toBe(before[0]);
      expect((after[1] as number) - (before[1] as number)).toBe(6);
      expect(chain.stats().failed).toBe(0);

      await startMicrosocks(PORTS[0] as number);
      await eventually(() => events.some((e) => e.state === 'up'), 5000);
      expect(events.at(-1)).toMatchObject({ hopIndex: 0, state: 'up' });
      const back = chain.stats().hops.map((h) => h.connected);
      for (let i = 0; i < 4; i++) (await chain.connect(`127.0.0.1:${echo.port}`)).destroy();
      expect((chain.stats().hops[0]?.connected as number) - (back[0] as number)).toBe(2);
    } finally {
      await chain.close();
    }
  }, 30_000);

  it("prefer: 'latency': a slowed hop is avoided, and used again once the delay is gone", async () => {
    const relay = await startDelayRelay({ host: '127.0.0.1', port: PORTS[1] as number }, 150);
    const events: HealthEvent[] = [];
    const chain = new Chain([`socks5://127.0.0.1:${PORTS[0]}`, `socks5://127.0.0.1:${relay.port}`], {
      mode: 'round_robin',
      cooldownMs: 0,
      timeoutMs: 3000,
      healthCheck: {
        target: `127.0.0.1:${echo.port}`,
        intervalMs: 100,
        timeoutMs: 2000,
        prefer: 'latency',
        toleranceMs: 50,
        onChange: (event) => events.push(event),
      },
    });
    const connects = async (n: number) => {
      const before = chain.stats().hops.map((h) => h.connected);
      for (let i = 0; i < n; i++) (await chain.connect(`127.0.0.1:${echo.port}`)).destroy();
      return chain.stats().hops.map((h, i) => h.connected - (before[i] as number));
    };
    try {
      await eventually(() => events.some((e) => e.state === 'slow'), 5000);
      expect(events[0]).toMatchObject({
        hopIndex: 1,
        hop: `socks5://127.0.0.1:${relay.port}`,
        state: 'slow',
      });
      expect(events[0]?.latencyMs).toBeGreaterThanOrEqual(150);
      expect(chain.stats().hops[1]?.health).toMatchObject({ state: 'slow' });
      expect(chain.stats().hops[1]?.health?.latencyMs).toBeGreaterThanOrEqual(150);
      expect(chain.stats().hops[0]?.health?.state).toBe('up');
      // Round robin now turns among the fast hops only: hop 1 is left out.
      expect(await connects(6)).toEqual([6, 0]);

      relay.setDelay(0);
      await eventually(() => events.some((e) => e.state === 'fast'), 5000);
      expect(events.at(-1)).toMatchObject({ hopIndex: 1, state: 'fast' });
      expect(await connects(4)).toEqual([2, 2]);
      // Only latency verdicts: the hop never went down.
      expect(events.map((e) => e.state)).toEqual(['slow', 'fast']);
    } finally {
      await chain.close();
      await relay.close();
    }
  }, 30_000);

  it('stops its timers on close() (no check runs afterwards)', async () => {
    const events: HealthEvent[] = [];
    const chain = new Chain([`socks5://127.0.0.1:${PORTS[1]}`, 'socks5://127.0.0.1:1'], {
      mode: 'dynamic',
      healthCheck: { target: `127.0.0.1:${echo.port}`, intervalMs: 50, onChange: (e) => events.push(e) },
    });
    await eventually(() => events.length === 1, 3000);
    await chain.close();
    // A check already in flight may still land; none starts after.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const accepts = () => echo.log.filter((e) => e.type === 'accept').length;
    const seen = accepts();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(accepts()).toBe(seen);
  });

  it('is refused in strict mode and checked up front', () => {
    expect(() => new Chain('socks5://127.0.0.1:1', { healthCheck: { target: '127.0.0.1:1' } })).toThrow(
      /healthCheck needs a mode that chooses hops/,
    );
    expect(
      () =>
        new Chain('socks5://127.0.0.1:1', {
          mode: 'dynamic',
          healthCheck: { target: 'nope', intervalMs: 1 },
        }),
    ).toThrow(/healthCheck.target must be "host:port"/);
  });
});
