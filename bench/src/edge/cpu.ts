import { readFileSync, readdirSync } from 'node:fs';

/** utime+stime (clock ticks) of a process and all its descendants (Linux /proc). */
export function processTreeTicks(pid: number): number {
  let total = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const current = stack.pop()!;
    try {
      const stat = readFileSync(`/proc/${current}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces) start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += Number(fields[11]) + Number(fields[12]);
      for (const task of readdirSync(`/proc/${current}/task`)) {
        const children = readFileSync(`/proc/${current}/task/${task}/children`, 'utf8').trim();
        if (children !== '') stack.push(...children.split(' ').map(Number));
      }
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

/** Linux USER_HZ, practically always 100. */
export const TICKS_PER_SEC = 100;
