import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LabError } from './errors.js';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = join(packageDir, 'native', 'nfq-delay.c');
/** Built on first use (the preflight installs gcc and libnetfilter-queue-dev). */
export const DELAY_PROGRAM = join(packageDir, 'build', 'nfq-delay');

/** Compile the NFQUEUE delay program when it is missing or older than its source. */
export function ensureDelayProgram(): string {
  if (existsSync(DELAY_PROGRAM) && statSync(DELAY_PROGRAM).mtimeMs >= statSync(SOURCE).mtimeMs)
    return DELAY_PROGRAM;
  mkdirSync(dirname(DELAY_PROGRAM), { recursive: true });
  const flags = spawnSync('pkg-config', ['--cflags', '--libs', 'libnetfilter_queue'], {
    encoding: 'utf8',
  });
  if (flags.status !== 0)
    throw new LabError(
      'the lab delay program needs libnetfilter-queue-dev and pkg-config ' +
        '(apt-get install libnetfilter-queue-dev pkg-config gcc; `npm run preflight -- --for test` does it)',
    );
  const built = spawnSync(
    'gcc',
    ['-O2', '-Wall', '-o', DELAY_PROGRAM, SOURCE, ...flags.stdout.trim().split(/\s+/)],
    { encoding: 'utf8' },
  );
  if (built.error || built.status !== 0)
    throw new LabError(
      `cannot build the lab delay program: ${built.error?.message ?? built.stderr.trim()}`,
    );
  return DELAY_PROGRAM;
}
