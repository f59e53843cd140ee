/**
 * Runs the built edge (apps/edge/dist/main.js) under the V8 sampling profiler and writes
 * `edge.cpuprofile` into EDGE_PROFILE_DIR when the process exits (--cpu-prof is refused in
 * NODE_OPTIONS, and spawnService runs a script, so the profiler is started from here).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '@coral-cdn/test-support';

const dir = process.env.EDGE_PROFILE_DIR ?? process.cwd();
/**
 * With EDGE_WORKERS > 1 the cluster primary forks workers that run this script too: each writes
 * a profile of its own (`edge-worker-<i>.cpuprofile`), else the primary, which exits last and
 * only forwards connections, would overwrite the workers' profiles with its own.
 */
function profileName(): string {
  const index = process.env.EDGE_WORKER_INDEX;
  return index === undefined ? 'edge.cpuprofile' : `edge-worker-${index}.cpuprofile`;
}
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 200 });
session.post('Profiler.start');
process.on('exit', () => {
  // The in-process session answers synchronously, so this completes before exit.
  session.post('Profiler.stop', (error, result) => {
    if (!error) writeFileSync(join(dir, profileName()), JSON.stringify(result.profile));
  });
});
await import(pathToFileURL(join(repoRoot, 'apps', 'edge', 'dist', 'main.js')).href);
