import { statSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * What identifies the code under test at one moment: the player page's script bundle (its
 * name carries vite's content hash) and the build times of the engine and node-peer entry
 * points. Other people rebuild these while benchmarks run; a run during which the stamp
 * changed measured a mix of two builds and is flagged.
 */
export interface CodeStamp {
  playerBundle: string;
  engineBuiltAt: string;
  nodePeerBuiltAt: string;
}

function builtAt(resolve: () => string): string {
  try {
    return statSync(resolve()).mtime.toISOString();
  } catch (error) {
    return `unknown (${error instanceof Error ? error.message : String(error)})`;
  }
}

export async function codeStamp(playerUrl: string): Promise<CodeStamp> {
  const require = createRequire(import.meta.url);
  const nodePeerEntry = () => require.resolve('@coral-cdn/node-peer');
  let playerBundle = 'unknown';
  try {
    const page = await (await fetch(`${playerUrl}/`)).text();
    playerBundle = /<script[^>]*\ssrc="([^"]+)"/.exec(page)?.[1] ?? 'no script in the page';
  } catch (error) {
    playerBundle = `unreadable (${error instanceof Error ? error.message : String(error)})`;
  }
  return {
    playerBundle,
    engineBuiltAt: builtAt(() => createRequire(nodePeerEntry()).resolve('@coral-cdn/p2p-engine')),
    nodePeerBuiltAt: builtAt(nodePeerEntry),
  };
}

/** Problems to report when the code changed between two stamps (none: the same build). */
export function codeChanges(before: CodeStamp, after: CodeStamp): string[] {
  const problems: string[] = [];
  if (before.playerBundle !== after.playerBundle)
    problems.push(
      `the player page changed during the run (${before.playerBundle} → ${after.playerBundle}): someone rebuilt apps/player`,
    );
  if (before.engineBuiltAt !== after.engineBuiltAt)
    problems.push('packages/p2p-engine was rebuilt during the run');
  if (before.nodePeerBuiltAt !== after.nodePeerBuiltAt)
    problems.push('packages/node-peer was rebuilt during the run');
  return problems;
}
