import { defineConfig } from 'vitest/config';

// For mutation testing (`npm run mutation`): the DTLS handshake gate's tests, which run two
// werift DTLS endpoints over an in-memory link and open no socket, so need no network namespace.
export default defineConfig({
  test: { include: ['test/werift-dtls-fix.test.ts'], testTimeout: 30_000 },
});
