/** `npm run test:soak`: the full soak (test/soak), which the default run leaves out. SOAK_REQUESTS sets its size. */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/soak/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
