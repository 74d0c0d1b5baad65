/** HopSelector on its own: the cool-down clock, the dice, and strict mode's lack of memory. */
import { describe, expect, it } from 'vitest';
import { HopSelector } from '../../../src/chain/hop-selector.js';

function clock() {
  let now = 0;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('HopSelector', () => {
  it('leaves a hop out for exactly cooldownMs after it failed', () => {
    const time = clock();
    const selector = new HopSelector({ mode: 'dynamic', chainLength: 1, cooldownMs: 1000, now: time.now });
    selector.markDown(1);
    expect(selector.select([0, 1, 2])).toEqual([0, 2]);
    time.advance(999);
    expect(selector.select([0, 1, 2])).toEqual([0, 2]);
    time.advance(1);
    expect(selector.select([0, 1, 2])).toEqual([0, 1, 2]);
  });

  it('a hop that carried a connection is up again at once', () => {
    const selector = new HopSelector({ mode: 'dynamic', chainLength: 1, cooldownMs: 1000 });
    selector.markDown(0);
    selector.markUp(0);
    expect(selector.isDown(0)).toBe(false);
  });

  it('strict mode keeps no record and always uses every candidate', () => {
    const selector = new HopSelector({ mode: 'strict', chainLength: 1, cooldownMs: 1000 });
    selector.markDown(1);
    expect(selector.isDown(1)).toBe(false);
    expect(selector.select([0, 1, 2], new Set([1]))).toEqual([0, 1, 2]);
  });

  it('random mode prefers hops that are up and fills with cooling ones only when short', () => {
    const selector = new HopSelector({ mode: 'random', chainLength: 2, cooldownMs: 1000, random: () => 0.5 });
    selector.markDown(0);
    selector.markDown(1);
    const chosen = selector.select([0, 1, 2, 3]) ?? [];
    expect([...chosen].sort()).toEqual([2, 3]);
    selector.markDown(2);
    const filled = selector.select([0, 1, 2, 3]) ?? [];
    expect(filled).toHaveLength(2);
    expect(filled).toContain(3);
  });

  it('excluded hops are never used; undefined when too few are left', () => {
    const selector = new HopSelector({ mode: 'round_robin', chainLength: 2, cooldownMs: 0 });
    expect(selector.select([0, 1, 2], new Set([0, 1]))).toBeUndefined();
    expect(
      new HopSelector({ mode: 'dynamic', chainLength: 1, cooldownMs: 0 }).select([0], new Set([0])),
    ).toBeUndefined();
  });
});
