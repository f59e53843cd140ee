import { readFileSync, readdirSync } from 'node:fs';

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
