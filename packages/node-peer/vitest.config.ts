import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

// Every test here opens WebRTC connections, which must happen inside a private network namespace
// (docs/ARCHITECTURE.md, Running the pieces on Linux). `npm test` runs `coral-netns vitest run`; a plain `vitest run` re-runs itself
// through coral-netns so it cannot escape the namespace either. Where unshare is not permitted,
// coral-netns fails with a message: the tests never skip.
if (process.env.CORAL_NETNS !== '1') {
  const netns = createRequire(import.meta.url).resolve('@coral-cdn/netns/netns-run.mjs');
  const result = spawnSync(process.execPath, [netns, process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
  });
  process.exit(result.status ?? 1);
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 90_000,
    hookTimeout: 90_000,
    // The WebRTC files share 2 cores: one at a time keeps the timings honest.
    fileParallelism: false,
  },
});
