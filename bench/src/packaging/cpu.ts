import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc times (CLK_TCK; 100 on Linux nearly everywhere). */
export const TICKS_PER_SEC = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU seconds a process has used, itself and its children that it has waited for (ffprobe and
 * ffmpeg, for the origin): utime + stime + cutime + cstime from /proc/<pid>/stat.
 */
export function processCpuSec(pid: number): { selfSec: number; childrenSec: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at field 3.
  const fields = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  return {
    selfSec: (fields[11]! + fields[12]!) / TICKS_PER_SEC,
    childrenSec: (fields[13]! + fields[14]!) / TICKS_PER_SEC,
  };
}

/** Children's user + system seconds from the output of the shell's `times` builtin. */
export function parseShellTimes(output: string): number {
  const lines = output.trim().split('\n');
  const children = lines.at(-1) ?? '';
  let total = 0;
  for (const match of children.matchAll(/(\d+)m([\d.]+)s/g)) {
    total += Number(match[1]) * 60 + Number(match[2]);
  }
  return total;
}
