import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'data/**', 'dist/**'],
    // Tests beside the code and in test/; each file runs in its own worker so MSW servers do not collide.
    pool: 'forks',
    testTimeout: 20_000,
    // One PostgreSQL server for the run's PostgreSQL tests (test/support/postgres-server.ts).
    globalSetup: ['./test/support/build-cli-once.ts', './test/support/postgres-server.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
