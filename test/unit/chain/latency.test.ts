/**
 * Latency-aware selection without a network: LatencyTracker's median and hysteresis, the
 * selector's use of slow verdicts, and HealthChecker timing checks on a faked clock.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HealthChecker, type HealthEvent, resolveHealthCheck } from '../../../src/chain/health.js';
import { HopSelector } from '../../../src/chain/hop-selector.js';
import { LatencyTracker } from '../../../src/chain/latency.js';
import { parseHops } from '../../../src/hop.js';

describe('LatencyTracker', () => {
  it('smooths with the median of the last three checks', () => {
    const tracker = new LatencyTracker(1, 50);
    expect(tracker.latencyMs(0)).toBeUndefined();
    tracker.record(0, 10);
    tracker.record(0, 500); // one outlier
    expect(tracker.latencyMs(0)).toBe(255);
    tracker.record(0, 12);
    expect(tracker.latencyMs(0)).toBe(12);
    tracker.record(0, 14);
    tracker.record(0, 16); // the outlier is out of the window
    expect(tracker.latencyMs(0)).toBe(14);
  });

  it('turns a hop slow beyond the tolerance and fast again only within half of it', () => {
    const tracker = new LatencyTracker(2, 50);
    const up = () => true;
    const feed = (ms0: number, ms1: number) => {
      for (let i = 0; i < 3; i++) {
        tracker.record(0, ms0);
        tracker.record(1, ms1);
      }
      return tracker.update(up);
    };
    expect(feed(10, 55)).toEqual([]); // within 50 ms of the fastest
    expect(feed(10, 61)).toEqual([{ position: 1, slow: true, latencyMs: 61, fastestMs: 10 }]);
    expect(feed(10, 50)).toEqual([]); // within the tolerance but not within half of it: still slow
    expect(tracker.isSlow(1)).toBe(true);
    expect(feed(10, 61)).toEqual([]); // noise around the threshold flips nothing
    expect(feed(10, 35)).toEqual([{ position: 1, slow: false, latencyMs: 35, fastestMs: 10 }]);
  });

  it('judges against the fastest hop that is up; a forgotten hop starts afresh', () => {
    const tracker = new LatencyTracker(3, 20);
    for (const [position, ms] of [
      [0, 5],
      [1, 100],
      [2, 110],
    ] as const)
      tracker.record(position, ms);
    expect(tracker.update(() => true).map((c) => c.position)).toEqual([1, 2]);
    // Hop 0 goes down: the others are now as good as the fastest left.
    tracker.forget(0);
    expect(tracker.update((p) => p !== 0).map((c) => [c.position, c.slow])).toEqual([
      [1, false],
      [2, false],
    ]);
    expect(tracker.latencyMs(0)).toBeUndefined();
  });
});

describe('HopSelector with latency verdicts', () => {
  it('dynamic leaves slow hops out while a fast one is up', () => {
    const selector = new HopSelector({ mode: 'dynamic', chainLength: 1, cooldownMs: 0 });
    selector.setLatency(1, 200, true);
    expect(selector.select([0, 1, 2])).toEqual([0, 2]);
    selector.setUnhealthy(0, true);
    selector.setUnhealthy(2, true);
    expect(selector.select([0, 1, 2])).toEqual([1]); // only the slow one is up
    selector.setUnhealthy(0, false);
    selector.setLatency(1, 20, false);
    expect(selector.select([0, 1, 2])).toEqual([0, 1]);
  });

  it('round_robin rotates among fast hops and fills with the fastest slow one', () => {
    const selector = new HopSelector({ mode: 'round_robin', chainLength: 1, cooldownMs: 0 });
    selector.setLatency(0, 300, true);
    const picks = Array.from({ length: 4 }, () => selector.select([0, 1, 2]));
    expect(picks).toEqual([[1], [2], [1], [2]]);
    const two = new HopSelector({ mode: 'round_robin', chainLength: 2, cooldownMs: 0 });
    two.setLatency(0, 300, true);
    two.setLatency(1, 200, true);
    two.setLatency(2, 10, false);
    // Hop 2 and the faster slow hop (1), in chain order.
    expect(two.select([0, 1, 2])).toEqual([1, 2]);
  });

  it('random picks the fast hops when there are enough', () => {
    const selector = new HopSelector({ mode: 'random', chainLength: 2, cooldownMs: 0, random: () => 0 });
    selector.setLatency(2, 300, true);
    for (let i = 0; i < 5; i++) expect([...(selector.select([0, 1, 2]) ?? [])].sort()).toEqual([0, 1]);
  });

  it('round_robin fills a short chain with up hops before cooling ones', () => {
    let now = 0;
    const selector = new HopSelector({
      mode: 'round_robin',
      chainLength: 2,
      cooldownMs: 1000,
      now: () => now,
    });
    selector.markDown(0);
    selector.markDown(1);
    // Hop 2 is the only one up: it is in the chain, with the first cooling hop in turn.
    expect(selector.select([0, 1, 2])).toEqual([0, 2]);
    now = 1000; // cooled down: a plain rotation again
    expect(selector.select([0, 1, 2])).toEqual([0, 1]);
  });
});

describe('HealthChecker with prefer: latency (faked clock)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function checker(latencies: number[], events: HealthEvent[], verdicts: Map<number, [number?, boolean?]>) {
    const hops = parseHops(latencies.map((_, i) => `socks5://127.0.0.1:${20_000 + i}`));
    const options = resolveHealthCheck(
      {
        target: '127.0.0.1:1',
        intervalMs: 1000,
        prefer: 'latency',
        toleranceMs: 50,
        onChange: (e: HealthEvent) => events.push(e),
      },
      'round_robin',
    );
    const check = (position: number) =>
      new Promise<void>((resolve) => setTimeout(resolve, latencies[position] as number));
    return new HealthChecker(hops, options, check, () => {}, {
      setLatency: (position, ms, slow) => verdicts.set(position, [ms, slow]),
    });
  }

  it('times each check, reports a slowed hop slow and, once it is fast again, fast', async () => {
    const latencies = [20, 25];
    const events: HealthEvent[] = [];
    const verdicts = new Map<number, [number?, boolean?]>();
    const health = checker(latencies, events, verdicts);
    health.start();
    await vi.advanceTimersByTimeAsync(3 * 1100); // three rounds: a full window of samples
    expect(verdicts.get(1)).toEqual([25, false]);
    expect(health.hopHealth(1)).toEqual({ state: 'up', latencyMs: 25 });

    latencies[1] = 175; // slowed by 150 ms
    await vi.advanceTimersByTimeAsync(1200); // one slow check: the median still says 25
    expect(events).toEqual([]);
    await vi.advanceTimersByTimeAsync(1200); // two of three: slow
    expect(events).toEqual([
      expect.objectContaining({ hopIndex: 1, state: 'slow', latencyMs: 175, fastestMs: 20 }),
    ]);
    expect(verdicts.get(1)).toEqual([175, true]);
    expect(health.hopHealth(1).state).toBe('slow');

    latencies[1] = 25;
    await vi.advanceTimersByTimeAsync(2 * 1200);
    expect(events.at(-1)).toMatchObject({ hopIndex: 1, state: 'fast', latencyMs: 25 });
    expect(verdicts.get(1)).toEqual([25, false]);
    health.stop();
    const seen = events.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(events).toHaveLength(seen);
  });

  it('without prefer, latency is measured (for stats) but nothing is judged', async () => {
    const hops = parseHops(['socks5://127.0.0.1:20000', 'socks5://127.0.0.1:20001']);
    const events: HealthEvent[] = [];
    const setLatency = vi.fn();
    const latencies = [10, 400];
    const health = new HealthChecker(
      hops,
      resolveHealthCheck(
        { target: '127.0.0.1:1', intervalMs: 100, onChange: (e: HealthEvent) => events.push(e) },
        'dynamic',
      ),
      (position) => new Promise<void>((resolve) => setTimeout(resolve, latencies[position] as number)),
      () => {},
      { setLatency },
    );
    health.start();
    await vi.advanceTimersByTimeAsync(3000);
    health.stop();
    expect(health.hopHealth(1)).toEqual({ state: 'up', latencyMs: 400 });
    expect(events).toEqual([]);
    expect(setLatency).not.toHaveBeenCalled();
  });

  it('checks prefer and toleranceMs up front', () => {
    expect(() => resolveHealthCheck({ target: 'a:1', prefer: 'fastest' }, 'random')).toThrow(
      /healthCheck.prefer must be 'latency'/,
    );
    expect(() => resolveHealthCheck({ target: 'a:1', prefer: 'latency', toleranceMs: -1 }, 'random')).toThrow(
      /healthCheck.toleranceMs must be a positive number/,
    );
    expect(resolveHealthCheck({ target: 'a:1', prefer: 'latency' }, 'random')).toMatchObject({
      toleranceMs: 50,
    });
  });
});
