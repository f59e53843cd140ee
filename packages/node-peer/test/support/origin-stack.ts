import { openAsBlob } from 'node:fs';
import { join } from 'node:path';
import {
  freePort,
  generateClip,
  makeTempDir,
  operatorHeaders,
  spawnService,
  TEST_ORIGIN_ENV,
  waitFor,
  type RunningService,
  type TempDir,
} from '@coral-cdn/test-support';

export interface OriginStack {
  origin: RunningService;
  tracker: RunningService;
  /** Upload a generated clip as VOD `id` and wait until it is ready to play. */
  publishVod(id: string, durationSec: number): Promise<void>;
  /** Start a live test-pattern channel `id` and wait until its playlist holds 3 segments. */
  startLive(id: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The real origin (apps/origin) and tracker (apps/tracker) processes, wired as in production:
 * the origin issues viewer tokens that the tracker checks through the origin's JWKS, and the
 * playback API points at the origin itself as the only edge (its URL layout is the edge's).
 */
export async function startOriginStack(): Promise<OriginStack> {
  const temp: TempDir = makeTempDir('coral-node-peer-origin-');
  const [originPort, trackerPort] = [await freePort(), await freePort()];
  const originUrl = `http://127.0.0.1:${originPort}`;
  const origin = await spawnService({
    app: 'origin',
    port: originPort,
    env: {
      DATA_DIR: join(temp.path, 'data'),
      EDGES: `local=${originUrl}`,
      TRACKER_URLS: `ws://127.0.0.1:${trackerPort}/ws`,
      LADDER: '240:500k:64k',
      X264_PRESET: 'ultrafast',
      LIVE_TESTSRC_SIZE: '426x240',
      ...TEST_ORIGIN_ENV,
    },
  });
  const tracker = await spawnService({
    app: 'tracker',
    port: trackerPort,
    env: { TOKEN_JWKS_URL: `${originUrl}/.well-known/jwks.json`, LIVE_FETCHER_MIN_AGE_MS: '0' },
  });
  return {
    origin,
    tracker,
    publishVod: async (id, durationSec) => {
      const clip = generateClip({ path: join(temp.path, `${id}.mp4`), durationSec });
      const form = new FormData();
      form.append('id', id);
      form.append('file', await openAsBlob(clip), `${id}.mp4`);
      const response = await fetch(`${originUrl}/api/videos`, {
        method: 'POST',
        body: form,
        headers: operatorHeaders(),
      });
      if (!response.ok)
        throw new Error(`upload failed: ${response.status} ${await response.text()}`);
      await waitFor(
        `video ${id} to be packaged`,
        async () => {
          const record = (await (await fetch(`${originUrl}/api/videos/${id}`)).json()) as {
            status: string;
            error?: string;
          };
          if (record.status === 'failed') throw new Error(`packaging failed: ${record.error}`);
          return record.status === 'ready';
        },
        { timeoutMs: 60_000, intervalMs: 200 },
      );
    },
    startLive: async (id) => {
      const created = await fetch(`${originUrl}/api/live`, {
        method: 'POST',
        headers: operatorHeaders({ 'content-type': 'application/json' }),
        body: JSON.stringify({ id, source: { type: 'testsrc' } }),
      });
      if (!created.ok) throw new Error(`live channel: ${created.status} ${await created.text()}`);
      const started = await fetch(`${originUrl}/api/live/${id}/start`, {
        method: 'POST',
        headers: operatorHeaders(),
      });
      if (!started.ok) throw new Error(`live start: ${started.status} ${await started.text()}`);
      await waitFor(
        `live channel ${id} to publish 3 segments`,
        async () => {
          const response = await fetch(`${originUrl}/live/${id}/240p/index.m3u8`);
          return response.ok && ((await response.text()).match(/#EXTINF/g) ?? []).length >= 3;
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      );
    },
    stop: async () => {
      await Promise.all([tracker.stop(), origin.stop()]);
      temp.remove();
    },
  };
}
