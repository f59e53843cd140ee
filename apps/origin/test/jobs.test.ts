import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, waitFor } from '@coral-cdn/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authed,
  clip,
  listFiles,
  startTestOrigin,
  upload,
  videoStatus,
  waitSettled,
  type TestOrigin,
} from './helpers.js';

const temp = makeTempDir('coral-origin-jobs-');
let origin: TestOrigin;
let small: Blob;
let long: Blob;

beforeAll(async () => {
  small = new Blob([
    await readFile(clip(temp.path, 'small.mp4', { durationSec: 2, width: 320, height: 240 })),
  ]);
  long = new Blob([
    await readFile(clip(temp.path, 'long.mp4', { durationSec: 10, width: 1280, height: 720 })),
  ]);
  // veryfast and one job at a time: packaging the long clip takes a few seconds, time to act.
  origin = await startTestOrigin({ X264_PRESET: 'veryfast', JOB_CONCURRENCY: '1' }, temp);
});

afterAll(async () => {
  await origin?.close();
  temp.remove();
});

async function snapshot(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const file of await listFiles(dir)) {
    files[file] = createHash('sha256')
      .update(await readFile(join(dir, file)))
      .digest('hex');
  }
  return files;
}

/** The pid of the ffmpeg a job runs, from the pid file beside its private output. */
async function jobFfmpegPid(id: string): Promise<number> {
  return waitFor(`ffmpeg of ${id}`, async () => {
    const tmp = join(origin.dataDir, 'tmp');
    const jobDir = (await readdir(tmp)).find((entry) => entry.startsWith(`${id}-`));
    if (!jobDir) return null;
    const pid = Number((await readFile(join(tmp, jobDir, 'ffmpeg.pid'), 'utf8')).trim());
    return pid > 0 ? pid : null;
  });
}

async function waitPackaging(id: string): Promise<void> {
  await waitFor(
    `${id} packaging`,
    async () => {
      const status = await videoStatus(origin.url, id);
      return status.status === 'packaging' && status.progress > 0.05;
    },
    { timeoutMs: 30_000 },
  );
}

const metric = async (pattern: RegExp) => {
  const text = await (await fetch(`${origin.url}/metrics`)).text();
  return Number(pattern.exec(text)?.[1] ?? 0);
};

describe('atomic publishing', () => {
  it('a job whose ffmpeg is killed leaves nothing published and never touches a published video', async () => {
    expect((await upload(origin.url, small, { id: 'keep' })).status).toBe(202);
    expect((await waitSettled(origin.url, 'keep')).status).toBe('ready');
    const before = await snapshot(join(origin.dataDir, 'vod', 'keep'));

    expect((await upload(origin.url, long, { id: 'victim' })).status).toBe(202);
    await waitPackaging('victim');
    // Mid-job, nothing of it is visible.
    expect((await fetch(`${origin.url}/vod/victim/master.m3u8`)).status).toBe(404);
    const tmpDir = join(origin.dataDir, 'tmp');
    await waitFor('a first segment in the private folder', async () =>
      (await listFiles(tmpDir)).some((file) => file.endsWith('.m4s')),
    );
    expect((await videoStatus(origin.url, 'victim')).status).toBe('packaging');
    expect((await fetch(`${origin.url}/vod/victim/720p/index.m3u8`)).status).toBe(404);

    process.kill(await jobFfmpegPid('victim'), 'SIGKILL');
    const settled = await waitSettled(origin.url, 'victim');
    expect(settled).toMatchObject({ status: 'failed', errorCode: 'ffmpeg_failed' });
    expect(settled.error).toMatch(/SIGKILL/);

    expect(existsSync(join(origin.dataDir, 'vod', 'victim'))).toBe(false);
    expect((await fetch(`${origin.url}/vod/victim/master.m3u8`)).status).toBe(404);
    expect((await fetch(`${origin.url}/vod/victim/720p/seg_00000.m4s`)).status).toBe(404);
    expect(await readdir(tmpDir)).toEqual([]);
    expect(await readdir(join(origin.dataDir, 'uploads'))).toEqual([]);
    expect(await snapshot(join(origin.dataDir, 'vod', 'keep'))).toEqual(before);
    expect((await fetch(`${origin.url}/vod/keep/master.m3u8`)).status).toBe(200);
    expect(await metric(/coral_origin_jobs_finished_total\{outcome="failed"[^}]*\} (\d+)/)).toBe(1);
  });
});

describe('the job queue', () => {
  it('runs one job at a time (JOB_CONCURRENCY=1); the next waits queued', async () => {
    expect((await upload(origin.url, long, { id: 'first' })).status).toBe(202);
    const second = await upload(origin.url, small, { id: 'second' });
    expect(second.status).toBe(202);
    expect(await second.json()).toMatchObject({ id: 'second', status: 'queued', progress: 0 });
    await waitPackaging('first');
    expect((await videoStatus(origin.url, 'second')).status).toBe('queued');
    const notReady = await fetch(`${origin.url}/api/playback/second`);
    expect(notReady.status).toBe(409);
    expect(await notReady.json()).toMatchObject({ error: 'not_ready' });
    expect(await metric(/coral_origin_jobs\{status="packaging"[^}]*\} (\d+)/)).toBe(1);
    expect(await metric(/coral_origin_jobs\{status="queued"[^}]*\} (\d+)/)).toBe(1);
  });

  it('cancels a queued job at once and a running one by stopping ffmpeg', async () => {
    const queued = await fetch(
      `${origin.url}/api/videos/second/cancel`,
      authed({ method: 'POST' }),
    );
    expect(queued.status).toBe(200);
    expect(await queued.json()).toMatchObject({ id: 'second', status: 'cancelled' });

    const pid = await jobFfmpegPid('first');
    const running = await fetch(
      `${origin.url}/api/videos/first/cancel`,
      authed({ method: 'POST' }),
    );
    expect(await running.json()).toMatchObject({ id: 'first', status: 'cancelled', progress: 0 });
    expect(() => process.kill(pid, 0)).toThrow();
    expect(existsSync(join(origin.dataDir, 'vod', 'first'))).toBe(false);
    expect(await readdir(join(origin.dataDir, 'tmp'))).toEqual([]);
    expect(await readdir(join(origin.dataDir, 'uploads'))).toEqual([]);

    // Cancelling again is harmless; a published video cannot be cancelled.
    const again = await fetch(`${origin.url}/api/videos/first/cancel`, authed({ method: 'POST' }));
    expect(await again.json()).toMatchObject({ status: 'cancelled' });
    const ready = await fetch(`${origin.url}/api/videos/keep/cancel`, authed({ method: 'POST' }));
    expect(ready.status).toBe(409);
    expect(await ready.json()).toMatchObject({ error: 'not_cancellable' });
    expect(await metric(/coral_origin_jobs_finished_total\{outcome="cancelled"[^}]*\} (\d+)/)).toBe(
      2,
    );
  });

  it('frees the queue: a new job after the cancellations is packaged', async () => {
    expect((await upload(origin.url, small, { id: 'after' })).status).toBe(202);
    expect((await waitSettled(origin.url, 'after')).status).toBe('ready');
  });
});
