import { defineConfig } from 'vitest/config';

// The real-proxy matrix (npm run test:interop): needs the test bed of scripts/testbed.
export default defineConfig({
  test: {
    include: ['test/interop/**/*.test.ts'],
    globalSetup: ['test/interop/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Concurrent tests per file: the pair matrix runs this many chains at once.
    maxConcurrency: 8,
  },
});
