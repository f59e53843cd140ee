import { spawnSync } from 'node:child_process';
import { accessSync, constants, lstatSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readManifest, repoRoot } from './support/paths.js';

/**
 * `npx coral-peer` from a clone after the README's install (`npm install`, then `npm run build`):
 * the root `node_modules/.bin/coral-peer` must link a file that is in the repository before any
 * build. A bin pointing into `dist/` is not linked by the first install (the file does not exist
 * yet), and `npx` then goes to the registry for a package nobody there owns.
 */

const folder = 'packages/node-peer';
const git = (...args: string[]) => spawnSync('git', args, { cwd: repoRoot, encoding: 'utf8' });

describe("coral-peer in a clone, after the README's install", () => {
  const bin = readManifest(folder).bin?.['coral-peer'];
  const committed = join(repoRoot, folder, bin ?? '(no bin)');

  it('is a committed file of node-peer, not a build output', () => {
    expect(bin, 'node-peer declares the coral-peer bin').toBeDefined();
    const relative = join(folder, bin!);
    expect(git('ls-files', '--error-unmatch', relative).status, `${relative} is committed`).toBe(0);
    // Not ignored (as dist/ is): a fresh clone has it before anything is built.
    expect(git('check-ignore', '-q', relative).status, `${relative} is ignored`).toBe(1);
    accessSync(committed, constants.X_OK);
  });

  it('is linked at the root by the install, to that committed file', () => {
    const link = join(repoRoot, 'node_modules', '.bin', 'coral-peer');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(realpathSync(link)).toBe(realpathSync(committed));
  });

  it('runs through that link once built', () => {
    const run = spawnSync(join(repoRoot, 'node_modules', '.bin', 'coral-peer'), ['--help'], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('Usage: coral-peer');
  });
});
