/**
 * The test bed for one test file. Without one, under CI=true the file gets a single test
 * that fails with the reason and the fix; elsewhere a skipped test that says the same.
 */
import { inject, it } from 'vitest';
import { HOW_TO_FIX, isCi, type Testbed } from './testbed.js';

export function useTestbed(): Testbed | undefined {
  const state = inject('testbed');
  if (state.ok) return state.testbed;
  if (isCi()) {
    it('has a running test bed (required under CI=true)', () => {
      throw new Error(`no usable test bed: ${state.problem}\n${HOW_TO_FIX}`);
    });
  } else {
    it.skip(`needs the real-proxy test bed (${state.problem}): see scripts/testbed/README.md`, () => {});
  }
  return undefined;
}
