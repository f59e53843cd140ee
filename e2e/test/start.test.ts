import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { descendantPids, generateClip, waitFor } from '@coral-cdn/test-support';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

/**
 * `npm start` as process managers, `timeout`, CI and a terminal stop it, checked by PID: every
 * service and the live ffmpeg are gone after one SIGTERM to npm, or one Ctrl-C (SIGINT to the
 * terminal's whole process group), each service stopping cleanly once; and a second `npm start`
 * over a running stack refuses, naming the port and the process. The suite runs in a private
 * network namespace (coral-netns), so the stack's fixed ports are free whatever else runs here.
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = mkdtempSync(join(tmpdir(), 'coral-start-'));
// One 240p rendition and a short demo clip made here: the stack's start stays light.
const env = { ...process.env, CORAL_DATA_DIR: dataDir, LOG_LEVEL: 'info', LADDER: '240:400k:64k' };
generateClip({ path: join(dataDir, 'demo-source.mp4'), durationSec: 4, width: 426, height: 240 });
const started: ChildProcess[] = [];

// A failed test must not leave its stack holding the ports for the next one.
afterEach(() => {
  for (const child of started.splice(0)) {
    if (child.exitCode === null && child.pid) {
      for (const pid of descendantPids(child.pid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      child.kill('SIGKILL');
    }
  }
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

interface Started {
  readonly npm: ChildProcess;
  readonly output: () => string;
}

function npmStart(options: { ownGroup?: boolean } = {}): Started {
  // ownGroup: as a terminal runs it (a foreground group that Ctrl-C signals as a whole).
  const npm = spawn('npm', ['start'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.ownGroup ?? false,
  });
  started.push(npm);
  let output = '';
  npm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { npm, output: () => output };
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

function parentOf(pid: number): number {
  try {
    // The fields after the command's closing parenthesis: state, then the parent's PID.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return 0;
  }
}

function alive(pid: number): boolean {
  // A zombie has exited; only its parent's wait is missing.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Waits for the stack to be up with the live channel's ffmpeg running; returns every PID. */
async function runningStack(start: Started): Promise<Map<string, number>> {
  // Generous: npm start builds first, which takes minutes on a busy machine when not cached.
  await waitFor(
    'npm start to print the player URL (or to exit)',
    () => start.output().includes('Open the player') || start.npm.exitCode !== null,
    { timeoutMs: 300_000, intervalMs: 250 },
  ).catch((error: Error) => {
    throw new Error(`${error.message}; npm start said:\n${start.output().slice(-2000)}`);
  });
  expect(start.output()).toContain('Open the player');
  let seen: string[] = [];
  return waitFor(
    'the services and the live ffmpeg',
    () => {
      const named = new Map<string, number>();
      for (const pid of descendantPids(start.npm.pid!)) {
        const command = commandOf(pid);
        const app = /apps\/(origin|edge|tracker|player)\/dist\/main\.js/.exec(command)?.[1];
        // A service's cluster workers run its main.js too (the edge's EDGE_WORKERS).
        const worker = app !== undefined && commandOf(parentOf(pid)) === command;
        if (app) named.set(`${app}${worker ? '-worker' : ''}:${pid}`, pid);
        else if (/(^|\/)ffmpeg /.test(command)) named.set(`ffmpeg:${pid}`, pid);
      }
      const count = (name: string): number =>
        [...named.keys()].filter((key) => key.startsWith(`${name}:`)).length;
      const complete =
        count('origin') === 1 &&
        count('edge') === 2 &&
        count('tracker') === 1 &&
        count('player') === 1 &&
        count('ffmpeg') >= 1;
      seen = [...named.keys()];
      return complete ? named : null;
    },
    { timeoutMs: 30_000, intervalMs: 250 },
  ).catch((error: Error) => {
    throw new Error(`${error.message}; running: ${seen.join(', ') || 'none'}`);
  });
}

async function expectAllGone(start: Started, pids: Map<string, number>): Promise<void> {
  await waitFor(
    'every service and ffmpeg to exit',
    () => [...pids.values()].every((pid) => !alive(pid)),
    { timeoutMs: 30_000, intervalMs: 100 },
  ).catch((error: Error) => {
    const left = [...pids].filter(([, pid]) => alive(pid)).map(([name]) => name);
    throw new Error(`${error.message}; still running: ${left.join(', ')}`);
  });
  await waitFor('npm to exit', () => start.npm.exitCode !== null || start.npm.signalCode !== null, {
    timeoutMs: 15_000,
  });
  // One clean stop per service: a second signal makes a service exit at once, and says so.
  for (const service of ['origin', 'edge-eu-west', 'edge-us-east', 'tracker-a', 'player']) {
    const log = join(dataDir, 'logs', `${service}.log`);
    expect(existsSync(log), log).toBe(true);
    expect(readFileSync(log, 'utf8'), service).not.toContain('second signal');
  }
}

describe('npm start', () => {
  it('refuses to start over a running stack, then stops everything on SIGTERM to npm', async () => {
    const first = npmStart();
    const pids = await runningStack(first);
    const origin = [...pids].find(([name]) => name.startsWith('origin:'))![1];

    const second = npmStart();
    const code = await new Promise<number | null>((resolveExit) =>
      second.npm.once('exit', resolveExit),
    );
    expect(code).toBe(1);
    expect(second.output()).toMatch(
      new RegExp(`port 8080 \\(origin\\) is in use by pid ${origin} \\(`),
    );
    expect(second.output()).not.toContain('Open the player');
    // The refusal touched nothing of the running stack.
    expect([...pids.values()].every(alive)).toBe(true);

    process.kill(first.npm.pid!, 'SIGTERM');
    await expectAllGone(first, pids);
  }, 600_000);

  it('stops everything on Ctrl-C (SIGINT to the whole process group)', async () => {
    const start = npmStart({ ownGroup: true });
    const pids = await runningStack(start);
    process.kill(-start.npm.pid!, 'SIGINT');
    await expectAllGone(start, pids);
  }, 420_000);
});
