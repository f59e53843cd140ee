import { existsSync, readFileSync, readdirSync } from 'node:fs';

/** Direct children of a process (Linux /proc); none once it has exited. */
export function childPids(pid: number): number[] {
  const pids: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (children !== '') pids.push(...children.split(' ').map(Number));
    }
  } catch {
    // exited meanwhile
  }
  return pids;
}

/** Every process below `pid` in the process tree (children, their children, …). */
export function descendantPids(pid: number): number[] {
  const found: number[] = [];
  const stack = childPids(pid);
  while (stack.length > 0) {
    const current = stack.pop()!;
    found.push(current);
    stack.push(...childPids(current));
  }
  return found;
}

const SETPRIV = '/usr/bin/setpriv';

/**
 * The argv that has the kernel SIGKILL `command` when this process dies, even by SIGKILL where
 * no exit handler runs, so that a killed test or benchmark leaves no TURN server or service
 * behind. util-linux's setpriv execs the command, so the PID stays the command's. For commands
 * known to exist (a missing one would show as setpriv's exit 127, not as ENOENT). The origin's
 * encoder uses server-kit's `parentDeathArgv`: tooling does not depend on product packages.
 */
export function tiedToParent(command: string, args: readonly string[]): [string, string[]] {
  if (process.platform !== 'linux' || !existsSync(SETPRIV)) return [command, [...args]];
  return [SETPRIV, ['--pdeathsig', 'KILL', '--', command, ...args]];
}
