import { defineConfig } from 'vitest/config';

// The firewall lab (npm run test:firewall): root, a network namespace, nftables/iptables and
// the proxies of scripts/testbed/install.sh. Files run one after the other: they share the
// namespace and its ruleset.
export default defineConfig({
  test: {
    include: ['test/firewall/**/*.test.ts'],
    globalSetup: ['test/firewall/setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 90_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
