import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@coral-cdn/test-support';

/** bittorrent-tracker, installed on demand outside the workspace (not a workspace dependency, so `npm ci` stays lean). */
export const BITTORRENT_TRACKER_VERSION = '11.2.3';
export const baselineDir = join(repoRoot, 'bench', '.baseline', 'bittorrent-tracker');

/**
 * Install bittorrent-tracker into bench/.baseline/bittorrent-tracker with --ignore-scripts:
 * its client side pulls node-datachannel, whose install script downloads a native binary;
 * the server needs none of that. Returns the path of `bittorrent-tracker/server`.
 */
export function ensureBittorrentTracker(log: (line: string) => void): string {
  const serverPath = join(baselineDir, 'node_modules', 'bittorrent-tracker', 'server.js');
  if (existsSync(serverPath)) return serverPath;
  mkdirSync(baselineDir, { recursive: true });
  const manifest = join(baselineDir, 'package.json');
  if (!existsSync(manifest)) {
    writeFileSync(
      manifest,
      `${JSON.stringify({ name: 'coral-bench-baseline', private: true }, null, 2)}\n`,
    );
  }
  log(
    `installing bittorrent-tracker@${BITTORRENT_TRACKER_VERSION} into ${baselineDir} (--ignore-scripts)`,
  );
  execFileSync(
    'npm',
    [
      'install',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      '--prefix',
      baselineDir,
      `bittorrent-tracker@${BITTORRENT_TRACKER_VERSION}`,
    ],
    { cwd: baselineDir, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (!existsSync(serverPath)) throw new Error(`bittorrent-tracker install left no ${serverPath}`);
  return serverPath;
}
