import { defineConfig } from 'vitest/config';

// The stack in containers plus Chromium: inside coral-netns (package.json's `test` runs it
// after the offline checks and the image builds of vitest.config.ts).
export default defineConfig({
  test: {
    include: ['test/containers/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 400_000,
    fileParallelism: false,
  },
});
