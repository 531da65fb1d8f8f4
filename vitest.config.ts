import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts', 'tests/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          globalSetup: ['tests/support/console-build-setup.ts'],
          hookTimeout: 60_000,
          // Each file creates its own database, so files may run in parallel.
          pool: 'forks',
        },
      },
    ],
  },
});
