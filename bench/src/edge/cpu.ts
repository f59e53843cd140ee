import { readFileSync } from 'node:fs';
import { descendantPids } from '@coral-cdn/test-support';

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

/** utime+stime (clock ticks) of a process and all its descendants. */
export function processTreeTicks(pid: number): number {
  return [pid, ...descendantPids(pid)].reduce((total, each) => total + processTicks(each), 0);
}

/** Linux USER_HZ, practically always 100. */
export const TICKS_PER_SEC = 100;
