import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  makeTempDir,
  repoRoot,
  spawnService,
  waitFor,
  type RunningService,
} from '@coral-cdn/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH, TEST_KEY, clip, run, videoStatus, waitSettled } from './helpers.js';

const temp = makeTempDir('coral-origin-process-');
const main = join(repoRoot, 'apps', 'origin', 'dist', 'main.js');
const cli = join(repoRoot, 'apps', 'origin', 'dist', 'cli.js');
const running: RunningService[] = [];
let longClip: string;
let smallClip: string;

beforeAll(() => {
  longClip = clip(temp.path, 'long.mp4', { durationSec: 10, width: 1280, height: 720 });
  smallClip = clip(temp.path, 'small.mp4', { durationSec: 2, width: 320, height: 240 });
});

afterAll(async () => {
  await Promise.all(running.map((service) => service.kill()));
  temp.remove();
});

async function startOrigin(env: Record<string, string>): Promise<RunningService> {
  const service = await spawnService({
    app: 'origin',
    env: { OPERATOR_API_KEYS: TEST_KEY, ...env },
  });
  running.push(service);
  return service;
}

/** Running (not gone, not a zombie: an orphan's zombie may wait for a reaper that never comes). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('configuration errors', () => {
  it('exit 2 with one line naming the variable', async () => {
    const bad = await run(process.execPath, [main], {
      env: { EDGES: 'not-an-edge', DATA_DIR: join(temp.path, 'unused') },
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('EDGES');

    const flag = await run(process.execPath, [main, '--port', 'eighty'], {
      env: { DATA_DIR: join(temp.path, 'unused') },
    });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('PORT');
  });

  it('exit 2 saying how to install ffmpeg when there is none', async () => {
    const missing = await run(process.execPath, [main], {
      env: { PATH: join(temp.path, 'empty-bin'), DATA_DIR: join(temp.path, 'unused') },
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /FFMPEG_PATH: ffmpeg not found: install ffmpeg \(Debian\/Ubuntu: apt-get install ffmpeg/,
    );
    const wrong = await run(process.execPath, [main], {
      env: { FFMPEG_PATH: '/nonexistent/ffmpeg', DATA_DIR: join(temp.path, 'unused') },
    });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('FFMPEG_PATH: /nonexistent/ffmpeg is not an executable file');
  });
});

describe('an origin killed mid-job', () => {
  it('publishes nothing half-done, and on restart kills the orphaned ffmpeg and resumes the job', async () => {
    const dataDir = join(temp.path, 'crash');
    const env = { DATA_DIR: dataDir, X264_PRESET: 'veryfast' };
    const first = await startOrigin(env);
    // Killed while it polls, once the origin has taken the upload (on a busy machine that can
    // take longer than any fixed timeout would guess).
    const ingest = await run(
      process.execPath,
      [cli, 'ingest', longClip, '--origin', first.url, '--id', 'crash'],
      { killWhenStderr: /video id: crash/, timeoutMs: 30_000, env: { CORAL_API_KEY: TEST_KEY } },
    );
    expect(ingest.stderr).toContain('video id: crash');
    await waitFor('packaging', async () => (await videoStatus(first.url, 'crash')).progress > 0.1, {
      timeoutMs: 30_000,
    });
    const jobDir = (await readdir(join(dataDir, 'tmp')))[0]!;
    const ffmpegPid = Number(await readFile(join(dataDir, 'tmp', jobDir, 'ffmpeg.pid'), 'utf8'));
    expect(alive(ffmpegPid)).toBe(true);
    await first.kill();
    expect(existsSync(join(dataDir, 'vod', 'crash'))).toBe(false);

    const second = await startOrigin(env);
    expect(alive(ffmpegPid)).toBe(false);
    const settled = await waitSettled(second.url, 'crash');
    expect(settled.status).toBe('ready');
    expect(settled.durationSec).toBeCloseTo(10, 0);
    expect(settled.renditions?.map((r) => r.segments)).toEqual([5, 5, 5]);
    expect(await readdir(join(dataDir, 'tmp'))).toEqual([]);
    expect(await readdir(join(dataDir, 'uploads'))).toEqual([]);
    expect(await second.stop()).toBe(0);

    // Stopped between publishing and removing the source: the next start removes it.
    await writeFile(join(dataDir, 'uploads', 'crash.src'), 'left over');
    const third = await startOrigin(env);
    expect(await readdir(join(dataDir, 'uploads'))).toEqual([]);
    expect((await videoStatus(third.url, 'crash')).status).toBe('ready');
    expect(await third.stop()).toBe(0);
  });
});

describe('SIGTERM', () => {
  it('stops live ffmpeg cleanly, exits 0, and the channel resumes at the next start', async () => {
    const dataDir = join(temp.path, 'term');
    const env = {
      DATA_DIR: dataDir,
      SEGMENT_DURATION_SEC: '1',
      LIVE_TESTSRC_SIZE: '320x180',
    };
    const first = await startOrigin(env);
    const created = await fetch(`${first.url}/api/live`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'live-demo', source: { type: 'testsrc' } }),
    });
    expect(created.status).toBe(201);
    const playlistPath = join(dataDir, 'live', 'live-demo', '180p', 'index.m3u8');
    await waitFor('live segments', () => existsSync(playlistPath), { timeoutMs: 20_000 });
    const ffmpegPid = Number(
      await readFile(join(dataDir, 'live', 'live-demo', 'ffmpeg.pid'), 'utf8'),
    );
    expect(await first.stop()).toBe(0);
    expect(alive(ffmpegPid)).toBe(false);
    const ended = await readFile(playlistPath, 'utf8');
    expect(ended.trimEnd().endsWith('#EXT-X-ENDLIST')).toBe(true);
    const lastBefore = Number(/seg_(\d+)\.m4s\n#EXT-X-ENDLIST/.exec(ended)?.[1]);

    const second = await startOrigin(env);
    const resumed = await waitFor(
      'the channel to resume',
      async () => {
        const response = await fetch(`${second.url}/live/live-demo/180p/index.m3u8`);
        const text = await response.text();
        return text.includes('#EXT-X-ENDLIST') ? null : text;
      },
      { timeoutMs: 20_000 },
    );
    expect(Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(resumed)?.[1])).toBe(lastBefore + 1);
    expect(await second.stop()).toBe(0);
  });
});

describe('the CLI', () => {
  it('ingests a file with a progress bar and prints the master playlist URL', async () => {
    // Without OPERATOR_API_KEYS: the origin makes a key and says where it wrote it.
    const origin = await startOrigin({
      DATA_DIR: join(temp.path, 'cli'),
      X264_PRESET: 'ultrafast',
      OPERATOR_API_KEYS: '',
    });
    const keyFile = join(temp.path, 'cli', 'keys', 'operator-api-key');
    expect(origin.output()).toContain(keyFile);
    const key = (await readFile(keyFile, 'utf8')).trim();
    expect(origin.output()).not.toContain(key);
    const keyless = await run(
      process.execPath,
      [cli, 'ingest', smallClip, '--origin', origin.url],
      {
        env: { CORAL_API_KEY: '' },
      },
    );
    expect(keyless.code).toBe(2);
    expect(keyless.stderr).toContain('CORAL_API_KEY');
    const wrongKey = await run(process.execPath, [
      ...[cli, 'ingest', smallClip, '--origin', origin.url, '--key', 'not-the-key-0123456789'],
    ]);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/upload refused \(401\)/);
    const result = await run(process.execPath, [
      cli,
      'ingest',
      smallClip,
      '--origin',
      origin.url,
      '--key',
      key,
      '--id',
      'from-cli',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe(`${origin.url}/vod/from-cli/master.m3u8`);
    expect(result.stderr).toMatch(/upload +\[#+\] 100%/);
    expect(result.stderr).toMatch(/packaging +\[#+\] 100%/);
    expect((await fetch(result.stdout.trim())).status).toBe(200);

    const refused = await run(process.execPath, [cli, 'ingest', cli, '--origin', origin.url], {
      env: { CORAL_API_KEY: key },
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/upload refused \(422\): not a video or audio file/);
    expect(await origin.stop()).toBe(0);
  });

  it('prints the ffmpeg command the origin runs (plan)', async () => {
    const result = await run(
      process.execPath,
      [cli, 'plan', smallClip, '--out', '/tmp/x', '--json'],
      {
        env: { X264_PRESET: 'ultrafast' },
      },
    );
    expect(result.code, result.stderr).toBe(0);
    const plan = JSON.parse(result.stdout) as {
      ffmpeg: string;
      args: string[];
      renditions: unknown[];
    };
    expect(plan.args).toContain('-var_stream_map');
    expect(plan.args.at(-1)).toBe('/tmp/x/%v/index.m3u8');
    expect(plan.args[plan.args.indexOf('-preset') + 1]).toBe('ultrafast');
    expect(plan.renditions).toHaveLength(1);
  });
});
