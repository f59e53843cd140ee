import { defineConfig } from 'vitest/config';

// One file at a time: each starts the whole stack and real browsers on a 2-core machine.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
