import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NETNS_PREFIX, namespacePrefix } from './plan.js';

/** Where each live lab records who made it, so that a crashed run can be found and removed. */
export const REGISTRY_DIR = process.env.CORAL_NETLAB_REGISTRY ?? '/run/coral-netlab';

interface LabRecord {
  runId: string;
  ownerPid: number;
  createdAtMs: number;
}

export function registerLab(runId: string): void {
  mkdirSync(REGISTRY_DIR, { recursive: true });
  const record: LabRecord = { runId, ownerPid: process.pid, createdAtMs: Date.now() };
  writeFileSync(join(REGISTRY_DIR, `${runId}.json`), JSON.stringify(record));
}

export function labNamespaces(runId?: string): string[] {
  const listed = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (listed.status !== 0) return [];
  const prefix = runId === undefined ? NETNS_PREFIX : namespacePrefix(runId);
  return listed.stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(prefix));
}

/** The run ids of every lab namespace on the machine (registered or not). */
export function labRunIds(): string[] {
  const ids = labNamespaces().map((name) => name.slice(NETNS_PREFIX.length).split('-')[0] ?? '');
  return [...new Set(ids.filter(Boolean))];
}

/**
 * Remove everything of one lab: every process inside its namespaces (the delay programs,
 * coturn, browsers, peers), then the namespaces, homes before the public bridge. Idempotent;
 * works from any process, so also after the run that made it crashed.
 */
export function teardownLab(runId: string): { namespaces: number } {
  const namespaces = labNamespaces(runId).sort((a, b) =>
    a.endsWith('-wan') ? 1 : b.endsWith('-wan') ? -1 : 0,
  );
  for (const ns of namespaces) {
    const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '';
    for (const pid of pids.split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
  for (const ns of namespaces) spawnSync('ip', ['netns', 'del', ns]);
  rmSync(join(REGISTRY_DIR, `${runId}.json`), { force: true });
  return { namespaces: namespaces.length };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Tear down the labs whose owner process is gone (a crashed or killed run). Labs without a
 * record are left alone unless `includeUnregistered`: they may belong to a run in progress.
 */
export function teardownStaleLabs(options: { includeUnregistered?: boolean } = {}): string[] {
  const removed: string[] = [];
  const registered = new Set<string>();
  let files: string[] = [];
  try {
    files = readdirSync(REGISTRY_DIR).filter((file) => file.endsWith('.json'));
  } catch {
    files = [];
  }
  for (const file of files) {
    let record: LabRecord | undefined;
    try {
      record = JSON.parse(readFileSync(join(REGISTRY_DIR, file), 'utf8')) as LabRecord;
    } catch {
      record = undefined;
    }
    const runId = record?.runId ?? file.replace(/\.json$/, '');
    registered.add(runId);
    if (!record || !alive(record.ownerPid)) {
      teardownLab(runId);
      removed.push(runId);
    }
  }
  if (options.includeUnregistered) {
    for (const runId of labRunIds()) {
      if (registered.has(runId)) continue;
      teardownLab(runId);
      removed.push(runId);
    }
  }
  return removed;
}
