import { defineConfig } from 'vitest/config';

// `vitest run`: the offline checks (compose, Dockerfiles, metrics, packages) and the image
// builds, on the machine's network. The containers themselves (podman-compose up, Chromium)
// run inside coral-netns with vitest.containers.config.ts: see package.json's `test`.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/containers/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
