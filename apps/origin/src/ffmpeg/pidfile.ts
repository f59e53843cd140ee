import { readFile } from 'node:fs/promises';
import { unlinkQuietly, writeFileAtomic } from '../fs-util.js';

/**
 * ffmpeg children outlive an origin that is SIGKILLed. Each records its pid beside its output;
 * at start-up the origin kills such a leftover, but only if that pid still runs a command line
 * that names the same output folder (never an unrelated process that reused the pid).
 */
export async function writePidFile(path: string, pid: number): Promise<void> {
  await writeFileAtomic(path, `${pid}\n`);
}

async function waitGone(pid: number, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      // A zombie (state Z) has stopped writing; its parent is gone, init reaps it.
      if (/^\d+ \(.*\) Z/.test(stat)) return;
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function killStaleProcess(pidFile: string, marker: string): Promise<boolean> {
  let pid: number;
  try {
    pid = Number((await readFile(pidFile, 'utf8')).trim());
  } catch {
    return false;
  }
  let killed = false;
  if (Number.isInteger(pid) && pid > 1) {
    try {
      const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ');
      if (cmdline.includes(marker)) {
        process.kill(pid, 'SIGKILL');
        killed = true;
        await waitGone(pid);
      }
    } catch {
      // Not running (or no /proc): nothing to kill.
    }
  }
  await unlinkQuietly(pidFile);
  return killed;
}
