import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const SETPRIV = '/usr/bin/setpriv';

let setprivWorks: boolean | undefined;

/** util-linux's setpriv with `--pdeathsig` (2.33+): asked once per process. */
function canSetParentDeathSignal(): boolean {
  if (setprivWorks === undefined) {
    setprivWorks =
      process.platform === 'linux' &&
      spawnSync(SETPRIV, ['--pdeathsig', 'KILL', '--', 'true'], { stdio: 'ignore' }).status === 0;
  }
  return setprivWorks;
}

/** Whether `path` is a file this process may execute. */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `name` in the directories of a PATH value; null: none. */
export function findOnPath(name: string, pathEnv: string | undefined): string | null {
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

/**
 * The argv that runs `command` so that the kernel kills it (SIGKILL) when this process dies,
 * even by SIGKILL, where no exit handler runs: a live encoder, a TURN server or a browser must
 * not outlive the service or the benchmark that started it. Linux only, through setpriv (which
 * execs the command, so the PID stays the command's); elsewhere, or when the command does not
 * resolve (so that spawn still reports ENOENT itself), the argv is unchanged. The signal
 * follows the thread that spawns: use it from the main thread for children that must live as
 * long as the process. Usage: `spawn(...parentDeathArgv(command, args), options)`.
 */
export function parentDeathArgv(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): [string, string[]] {
  const resolvable = command.includes('/') ? isExecutable(command) : findOnPath(command, env.PATH);
  if (!canSetParentDeathSignal() || !resolvable) return [command, [...args]];
  return [SETPRIV, ['--pdeathsig', 'KILL', '--', command, ...args]];
}
