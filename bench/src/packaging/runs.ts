import { spawn } from 'node:child_process';
import { openAsBlob } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseShellTimes, processCpuSec } from './cpu.js';

/** The ffmpeg command the origin would run, as `coral-origin plan --json` prints it. */
export interface PackagingPlan {
  readonly ffmpeg: string;
  readonly args: string[];
  readonly renditions: ReadonlyArray<{ name: string }>;
}

export interface Timing {
  readonly wallSec: number;
  /** CPU (user + system) seconds of every process involved. */
  readonly cpuSec: number;
}

/**
 * Run the origin's ffmpeg command by hand into `outDir`, under `sh` so that the shell's
 * `times` reports ffmpeg's CPU time.
 */
export async function timeByHand(plan: PackagingPlan, outDir: string): Promise<Timing> {
  await rm(outDir, { recursive: true, force: true });
  for (const rendition of plan.renditions) {
    await mkdir(join(outDir, rendition.name), { recursive: true });
  }
  const script = '"$0" "$@" > /dev/null; code=$?; times; exit $code';
  const started = performance.now();
  const child = spawn('sh', ['-c', script, plan.ffmpeg, ...plan.args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const wallSec = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`ffmpeg by hand failed (${code}): ${stderr.slice(-500)}`);
  await rm(outDir, { recursive: true, force: true });
  return { wallSec, cpuSec: parseShellTimes(stdout) };
}

export interface OriginRun {
  /** Upload start → the client sees status `ready`. */
  readonly endToEndSec: number;
  /** Upload start → the 202 (upload received and probed). */
  readonly acceptedSec: number;
  /** CPU seconds of the origin process and its children (ffprobe, ffmpeg) over the run. */
  readonly cpuSec: number;
  /** …of which the origin's Node process itself (upload, hashing, signing, HTTP). */
  readonly originProcessCpuSec: number;
  /** The origin's own figures for the job. */
  readonly probeSec: number;
  readonly ffmpegSec: number;
  readonly publishSec: number;
  readonly packagingSec: number;
}

interface StatusBody {
  status: string;
  error?: string;
  timings?: { probeMs?: number; ffmpegMs?: number; publishMs?: number; packagingMs?: number };
}

/** Upload the clip to a running origin and wait for it to be published; then delete it. */
export async function timeThroughOrigin(
  origin: { url: string; pid: number; apiKey: string },
  clipPath: string,
  id: string,
  pollMs = 200,
): Promise<OriginRun> {
  const originUrl = origin.url;
  const cpuBefore = processCpuSec(origin.pid);
  const form = new FormData();
  form.set('id', id);
  form.set('file', await openAsBlob(clipPath), 'clip.mp4');
  const started = performance.now();
  const auth = { authorization: `Bearer ${origin.apiKey}` };
  const created = await fetch(`${originUrl}/api/videos`, {
    method: 'POST',
    body: form,
    headers: auth,
  });
  if (created.status !== 202) throw new Error(`upload: ${created.status} ${await created.text()}`);
  const acceptedSec = (performance.now() - started) / 1000;
  let body: StatusBody;
  for (;;) {
    body = (await (await fetch(`${originUrl}/api/videos/${id}`)).json()) as StatusBody;
    if (body.status === 'ready') break;
    if (body.status === 'failed' || body.status === 'cancelled') {
      throw new Error(`packaging ${body.status}: ${body.error ?? ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  const endToEndSec = (performance.now() - started) / 1000;
  const cpuAfter = processCpuSec(origin.pid);
  const originProcessCpuSec = cpuAfter.selfSec - cpuBefore.selfSec;
  const cpuSec = originProcessCpuSec + cpuAfter.childrenSec - cpuBefore.childrenSec;
  await fetch(`${originUrl}/api/videos/${id}`, { method: 'DELETE', headers: auth });
  const t = body.timings ?? {};
  return {
    endToEndSec,
    acceptedSec,
    cpuSec,
    originProcessCpuSec,
    probeSec: (t.probeMs ?? 0) / 1000,
    ffmpegSec: (t.ffmpegMs ?? 0) / 1000,
    publishSec: (t.publishMs ?? 0) / 1000,
    packagingSec: (t.packagingMs ?? 0) / 1000,
  };
}
