#!/usr/bin/env node
// The `coral-peer` command. A committed file rather than dist/cli.js, so that the first
// `npm install` of a fresh clone links the command before anything is built; it runs the build.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  process.stderr.write(
    'coral-peer: not built yet (dist/cli.js is missing). In a clone of the Coral repository run ' +
      '`npm run build` first.\n',
  );
  process.exit(1);
}
await import(cli.href);
