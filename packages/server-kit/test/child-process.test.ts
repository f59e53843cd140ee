import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { parentDeathArgv } from '../src/child-process.js';

/** A parent that starts `argv` and prints its PID, then idles until killed. */
const PARENT = `
const [file, args] = JSON.parse(process.argv[1]);
const child = require('node:child_process').spawn(file, args, { stdio: 'ignore' });
// Once it runs the command itself, setpriv has set the signal.
child.once('spawn', function ready() {
  const comm = require('node:fs').readFileSync('/proc/' + child.pid + '/comm', 'utf8');
  if (comm === 'sleep\\n') console.log(child.pid);
  else setTimeout(ready, 10);
});
setInterval(() => {}, 1000);
`;

/** Running, not a zombie. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function orphanOf(argv: [string, string[]]): Promise<number> {
  const parent = spawn(process.execPath, ['-e', PARENT, JSON.stringify(argv)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(parent.stdout, 'data')) as [Buffer];
  const childPid = Number(line.toString().trim());
  parent.kill('SIGKILL');
  await once(parent, 'exit');
  return childPid;
}

async function untilDead(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

describe('parentDeathArgv', () => {
  it('kills the child when its parent is SIGKILLed, where a plain spawn leaves an orphan', async () => {
    const plain = await orphanOf(['sleep', ['30']]);
    expect(alive(plain)).toBe(true);
    process.kill(plain, 'SIGKILL');

    const tied = await orphanOf(parentDeathArgv('sleep', ['30']));
    expect(await untilDead(tied, 10_000)).toBe(true);
  });

  it('keeps the PID the command’s own (setpriv execs it)', async () => {
    const [file, args] = parentDeathArgv('sleep', ['30']);
    const child = spawn(file, args, { stdio: 'ignore' });
    await once(child, 'spawn');
    await expect.poll(() => readFileSync(`/proc/${child.pid}/comm`, 'utf8').trim()).toBe('sleep');
    child.kill('SIGKILL');
  });

  it('leaves a command that does not resolve as it is, so spawn still reports ENOENT', async () => {
    expect(parentDeathArgv('coral-no-such-binary', ['-x'])).toEqual([
      'coral-no-such-binary',
      ['-x'],
    ]);
    const child = spawn(...parentDeathArgv('/nonexistent/ffmpeg', []));
    const [error] = (await once(child, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ENOENT');
  });
});
