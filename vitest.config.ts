import { defineConfig } from 'vitest/config';
import { LongestFirst } from './test/helpers/longest-first';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The Temporal SDK's native core must not be shared across module registries.
    pool: 'forks',
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Two cores: more parallel files than that only makes every file slower.
    maxWorkers: 2,
    sequence: { sequencer: LongestFirst },
    server: { deps: { external: [/@temporalio/] } },
  },
});
