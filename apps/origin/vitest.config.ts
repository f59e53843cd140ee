import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Some tests run dist/ (the CLI, the server as a process): build it first.
    globalSetup: ['test/global-setup.ts'],
    // Real ffmpeg encodes and live channels in real time: one file at a time on 2 cores.
    fileParallelism: false,
  },
});
