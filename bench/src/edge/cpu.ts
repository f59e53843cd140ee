import { readFileSync, readdirSync } from 'node:fs';

/** utime+stime (clock ticks) of one process (Linux /proc); 0 once it has exited. */
export function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0; // exited meanwhile
  }
}

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

/** utime+stime (clock ticks) of a process and all its descendants. */
export function processTreeTicks(pid: number): number {
  let total = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const current = stack.pop()!;
    total += processTicks(current);
    stack.push(...childPids(current));
  }
  return total;
}

/** Linux USER_HZ, practically always 100. */
export const TICKS_PER_SEC = 100;
