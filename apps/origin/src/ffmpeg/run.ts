import { spawn } from 'node:child_process';
import { parentDeathArgv } from '@coral-cdn/server-kit';
import type { Readable } from 'node:stream';
import { ProgressParser, type FfmpegProgress } from './progress.js';

export interface FfmpegExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The last few KiB ffmpeg wrote to stderr: the reason, when it failed. */
  readonly stderrTail: string;
  /** Set when the process could not be started at all. */
  readonly spawnError?: Error;
}

export interface FfmpegProcess {
  readonly pid: number | undefined;
  /** The extra output pipes asked for (`pipe:3`, `pipe:4`, …), in order; empty by default. */
  readonly outputs: readonly Readable[];
  readonly exited: Promise<FfmpegExit>;
  /** SIGINT (ffmpeg finishes the segment in hand and writes its playlists), SIGKILL after graceMs. */
  stop(graceMs?: number): Promise<FfmpegExit>;
  /** SIGKILL: the output is thrown away. */
  kill(): Promise<FfmpegExit>;
}

const STDERR_TAIL_BYTES = 8192;

export function startFfmpeg(
  binary: string,
  args: readonly string[],
  options: {
    onProgress?: (progress: FfmpegProgress) => void;
    cwd?: string;
    /** How many output pipes to open after stderr, for `pipe:3` onwards. */
    outputPipes?: number;
  } = {},
): FfmpegProcess {
  const stdio: ('ignore' | 'pipe')[] = ['ignore', 'pipe', 'pipe'];
  for (let i = 0; i < (options.outputPipes ?? 0); i++) stdio.push('pipe');
  // Tied to the origin: a live encoder must not outlive a killed origin.
  const child = spawn(...parentDeathArgv(binary, args), { cwd: options.cwd, stdio });
  let stderrTail = '';
  let spawnError: Error | undefined;
  const parser = options.onProgress ? new ProgressParser(options.onProgress) : null;
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => parser?.push(chunk));
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
  });
  child.once('error', (error) => {
    spawnError = error;
  });
  const exited = new Promise<FfmpegExit>((resolve) => {
    child.once('close', (code, signal) =>
      resolve({ code, signal, stderrTail, ...(spawnError ? { spawnError } : {}) }),
    );
  });
  const alive = () =>
    child.exitCode === null && child.signalCode === null && child.pid !== undefined;
  return {
    pid: child.pid,
    outputs: child.stdio.slice(3) as Readable[],
    exited,
    stop: async (graceMs = 5000) => {
      if (alive()) {
        child.kill('SIGINT');
        const timer = setTimeout(() => alive() && child.kill('SIGKILL'), graceMs);
        const exit = await exited;
        clearTimeout(timer);
        return exit;
      }
      return exited;
    },
    kill: async () => {
      if (alive()) child.kill('SIGKILL');
      return exited;
    },
  };
}

/** One line that says why ffmpeg failed, from its stderr. */
export function describeExit(exit: FfmpegExit): string {
  if (exit.spawnError) return `could not start ffmpeg: ${exit.spawnError.message}`;
  const lines = exit.stderrTail
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const how = exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
  const last = lines.at(-1);
  return last ? `ffmpeg ${how}: ${last}` : `ffmpeg ${how}`;
}
