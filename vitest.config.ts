import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/quiet-runtime.ts'],
    // The Temporal worker's native runtime wants a process of its own, not a thread.
    pool: 'forks',
    reporters: ['default', './test/support/closing-line-reporter.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});
