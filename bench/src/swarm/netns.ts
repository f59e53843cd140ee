import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { repoRoot } from '@coral-cdn/test-support';
import { flagsToArgs } from './options.js';

export const insideNetns = (): boolean => process.env.CORAL_NETNS === '1';

/**
 * Browsers and WebRTC never touch the machine's network: run `node dist/run.js swarm <flags>`
 * again inside a private loopback-only network namespace (`coral-netns`) and wait for it.
 * `coral-netns` explains and exits 1 where `unshare` is not permitted; that becomes an error.
 */
export async function rerunInsideNetns(
  flags: Readonly<Record<string, string>>,
  scenario = 'swarm',
): Promise<void> {
  const netnsScript = createRequire(import.meta.url).resolve('@coral-cdn/netns/netns-run.mjs');
  const runScript = join(repoRoot, 'bench', 'dist', 'run.js');
  process.stdout.write('re-running inside a private network namespace (coral-netns)…\n');
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [netnsScript, process.execPath, runScript, scenario, ...flagsToArgs(flags)],
      { stdio: 'inherit' },
    );
    child.once('error', reject);
    child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 128 : 1)));
  });
  if (code !== 0) {
    throw new Error(
      `the ${scenario} benchmark inside coral-netns exited with ${code}` +
        ' (it needs root or CAP_SYS_ADMIN for `unshare --net`; see the message above)',
    );
  }
}
