import { defineConfig } from 'vitest/config';

/** The suites that exercise the mutated modules (see stryker.config.json): fast to rerun. */
export default defineConfig({
  test: {
    include: [
      'test/segment-decision.test.ts',
      'test/prefetch-plan.test.ts',
      'test/transfer-watchdog.test.ts',
      'test/live-role.test.ts',
      'test/integrity.test.ts',
      'test/integrity-registry.test.ts',
      'test/units.test.ts',
      'test/peer-session.test.ts',
      'test/handshake-gate.test.ts',
    ],
    testTimeout: 60_000,
  },
});
