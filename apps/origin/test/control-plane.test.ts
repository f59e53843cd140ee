import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, waitFor } from '@coral-cdn/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPlayback } from '../src/http/playback-auth.js';
import {
  AUTH,
  authed,
  clip,
  startTestOrigin,
  TEST_KEY,
  upload,
  waitSettled,
  type TestOrigin,
} from './helpers.js';

/**
 * The control API is the operators' alone: every endpoint that changes state or reveals a
 * secret wants an operator key with the right scope; the public views hold no secret.
 */
const VIDEOS_ONLY = 'videos-only-key-0123456789';
const LIVE_ONLY = 'live-only-key-0123456789';
const temp = makeTempDir('coral-origin-control-');
let origin: TestOrigin;
let small: Blob;

beforeAll(async () => {
  small = new Blob([
    await readFile(clip(temp.path, 'small.mp4', { durationSec: 2, width: 320, height: 240 })),
  ]);
  origin = await startTestOrigin(
    {
      OPERATOR_API_KEYS: `${TEST_KEY},${VIDEOS_ONLY}:videos:write,${LIVE_ONLY}:live:write`,
      LADDER: '240:300k:64k',
      LIVE_TESTSRC_SIZE: '320x240',
      LIVE_TESTSRC_FPS: '10',
    },
    temp,
  );
  expect((await upload(origin.url, small, { id: 'owned' })).status).toBe(202);
  expect((await waitSettled(origin.url, 'owned')).status).toBe('ready');
  const created = await fetch(
    `${origin.url}/api/live`,
    authed({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'secret-srt', source: { type: 'srt' } }),
    }),
  );
  expect(created.status).toBe(201);
});

afterAll(async () => {
  await origin?.close();
  temp.remove();
});

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** Every mutating endpoint, with a body it would accept from an operator. */
const endpoints: Array<{ name: string; scope: string; request: () => [string, RequestInit] }> = [
  {
    name: 'POST /api/videos (upload)',
    scope: 'videos:write',
    request: () => {
      const form = new FormData();
      form.set('id', 'intruder');
      form.set('file', small, 'clip.mp4');
      return ['/api/videos', { method: 'POST', body: form }];
    },
  },
  {
    name: 'POST /api/videos/<id>/cancel',
    scope: 'videos:write',
    request: () => ['/api/videos/owned/cancel', { method: 'POST' }],
  },
  {
    name: 'DELETE /api/videos/<id>',
    scope: 'videos:write',
    request: () => ['/api/videos/owned', { method: 'DELETE' }],
  },
  {
    name: 'POST /api/live (create)',
    scope: 'live:write',
    request: () => [
      '/api/live',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'intruder-live', source: { type: 'testsrc' } }),
      },
    ],
  },
  {
    name: 'POST /api/live/<id>/stop',
    scope: 'live:write',
    request: () => ['/api/live/secret-srt/stop', { method: 'POST' }],
  },
  {
    name: 'POST /api/live/<id>/start',
    scope: 'live:write',
    request: () => ['/api/live/secret-srt/start', { method: 'POST' }],
  },
  {
    name: 'DELETE /api/live/<id>',
    scope: 'live:write',
    request: () => ['/api/live/secret-srt', { method: 'DELETE' }],
  },
];

async function send(
  endpoint: (typeof endpoints)[number],
  headers: Record<string, string>,
): Promise<Response> {
  const [path, init] = endpoint.request();
  return fetch(`${origin.url}${path}`, {
    ...init,
    headers: { ...(init.headers as Record<string, string>), ...headers },
  });
}

describe('every mutating endpoint', () => {
  for (const endpoint of endpoints) {
    it(`${endpoint.name}: 401 without a key or with a wrong one, 403 without its scope`, async () => {
      const none = await send(endpoint, {});
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(((await none.json()) as { error: string }).error).toBe('unauthorized');

      const wrong = await send(endpoint, bearer('not-a-key-of-this-origin'));
      expect(wrong.status).toBe(401);
      const notBearer = await send(endpoint, { authorization: `Basic ${TEST_KEY}` });
      expect(notBearer.status).toBe(401);

      const otherScope = endpoint.scope === 'videos:write' ? LIVE_ONLY : VIDEOS_ONLY;
      const forbidden = await send(endpoint, bearer(otherScope));
      expect(forbidden.status).toBe(403);
      expect(((await forbidden.json()) as { error: string }).error).toBe('forbidden');
    });
  }

  it('left everything as it was: the video plays, the channel exists, no intruder', async () => {
    const video = (await (await fetch(`${origin.url}/api/videos/owned`)).json()) as {
      status: string;
    };
    expect(video.status).toBe('ready');
    expect((await fetch(`${origin.url}/vod/owned/master.m3u8`)).status).toBe(200);
    expect((await fetch(`${origin.url}/api/live/secret-srt`)).status).toBe(200);
    expect((await fetch(`${origin.url}/api/videos/intruder`)).status).toBe(404);
    expect((await fetch(`${origin.url}/api/live/intruder-live`)).status).toBe(404);
    expect(await readdir(join(origin.dataDir, 'uploads'))).toEqual([]);
  });

  it('a video cannot be replaced under its id without a key (delete, then upload)', async () => {
    const before = await readFile(join(origin.dataDir, 'vod', 'owned', '240p', 'seg_00000.m4s'));
    expect((await fetch(`${origin.url}/api/videos/owned`, { method: 'DELETE' })).status).toBe(401);
    expect((await upload(origin.url, small, { id: 'owned' }, 'x.mp4', {})).status).toBe(401);
    const after = await readFile(join(origin.dataDir, 'vod', 'owned', '240p', 'seg_00000.m4s'));
    expect(after.equals(before)).toBe(true);
  });

  it('with Expect: 100-continue, a keyless upload is refused before its body is sent', async () => {
    const { run } = await import('./helpers.js');
    const big = join(temp.path, 'small.mp4');
    const curl = await run('curl', [
      ...['-sS', '-o', '/dev/null', '-w', '%{http_code} %{size_upload}'],
      ...['-H', 'Expect: 100-continue', '-F', `file=@${big}`, `${origin.url}/api/videos`],
    ]);
    expect(curl.stdout).toBe('401 0');
  });
});

describe('secrets', () => {
  it('an SRT passphrase is shown to a key with read:secrets only, never to the public', async () => {
    const publicView = await (await fetch(`${origin.url}/api/live/secret-srt`)).text();
    const publicList = await (await fetch(`${origin.url}/api/live`)).text();
    const liveOnly = await (
      await fetch(`${origin.url}/api/live/secret-srt`, { headers: bearer(LIVE_ONLY) })
    ).text();
    const operator = (await (
      await fetch(`${origin.url}/api/live/secret-srt`, { headers: AUTH })
    ).json()) as { ingestUrl?: string };
    const passphrase = /passphrase=([^&]+)/.exec(operator.ingestUrl ?? '')?.[1];
    expect(passphrase).toMatch(/^[A-Za-z0-9_-]{16}$/);
    for (const [view, text] of Object.entries({ publicView, publicList, liveOnly })) {
      expect(text, view).not.toContain(passphrase!);
      expect(text, view).not.toContain('ingestUrl');
    }
    expect(JSON.parse(publicView)).toMatchObject({ id: 'secret-srt', source: { type: 'srt' } });
  });

  it('a wrong key on a public read is a 401, not a silent public view', async () => {
    const response = await fetch(`${origin.url}/api/live/secret-srt`, {
      headers: bearer('not-a-key-of-this-origin'),
    });
    expect(response.status).toBe(401);
  });

  it('viewer endpoints need no key', async () => {
    expect((await fetch(`${origin.url}/api/playback/owned`)).status).toBe(200);
    expect((await fetch(`${origin.url}/.well-known/jwks.json`)).status).toBe(200);
    expect((await fetch(`${origin.url}/vod/owned/240p/index.m3u8`)).status).toBe(200);
  });
});

describe('caps', () => {
  it('live channels beyond MAX_LIVE_CHANNELS: 503 with Retry-After, and no ffmpeg', async () => {
    const capped = await startTestOrigin(
      { MAX_LIVE_CHANNELS: '1', LIVE_TESTSRC_SIZE: '320x240', LADDER: '240:300k:64k' },
      makeTempDir('coral-origin-cap-live-'),
    );
    try {
      const create = (id: string) =>
        fetch(
          `${capped.url}/api/live`,
          authed({
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ id, source: { type: 'testsrc' } }),
          }),
        );
      expect((await create('first')).status).toBe(201);
      const second = await create('second');
      expect(second.status).toBe(503);
      expect(second.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(((await second.json()) as { error: string }).error).toBe('too_many_channels');
      expect(capped.origin.live.has('second')).toBe(false);
      expect(capped.origin.live.activeCount).toBe(1);
      // Once the first stops, there is room again.
      expect(
        (await fetch(`${capped.url}/api/live/first/stop`, authed({ method: 'POST' }))).status,
      ).toBe(200);
      expect((await create('second')).status).toBe(201);
      const restart = await fetch(`${capped.url}/api/live/first/start`, authed({ method: 'POST' }));
      expect(restart.status).toBe(503);
    } finally {
      await capped.close();
    }
  });

  it('uploads beyond MAX_QUEUED_JOBS waiting: 503 with Retry-After, nothing stored', async () => {
    const capped = await startTestOrigin(
      { MAX_QUEUED_JOBS: '1', JOB_CONCURRENCY: '1', X264_PRESET: 'veryfast' },
      makeTempDir('coral-origin-cap-jobs-'),
    );
    try {
      const long = new Blob([
        await readFile(clip(temp.path, 'long.mp4', { durationSec: 10, width: 1280, height: 720 })),
      ]);
      expect((await upload(capped.url, long, { id: 'running' })).status).toBe(202);
      await waitFor('the first job to run', async () => {
        const status = (await (await fetch(`${capped.url}/api/videos/running`)).json()) as {
          status: string;
        };
        return status.status === 'packaging';
      });
      expect((await upload(capped.url, small, { id: 'waiting' })).status).toBe(202);
      const refused = await upload(capped.url, small, { id: 'refused' });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(((await refused.json()) as { error: string }).error).toBe('queue_full');
      expect(capped.origin.videos.has('refused')).toBe(false);
      expect((await readdir(join(capped.dataDir, 'uploads'))).sort()).toEqual([
        'running.src',
        'waiting.src',
      ]);
    } finally {
      await capped.close();
    }
  });
});

describe('viewer tokens', () => {
  /** An origin with an RTMP channel `viewers` (its ffmpeg only listens: cheap). */
  async function originWithChannel(env: Record<string, string>): Promise<TestOrigin> {
    const started = await startTestOrigin(env, makeTempDir('coral-origin-viewers-'));
    const created = await fetch(
      `${started.url}/api/live`,
      authed({
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'viewers', source: { type: 'rtmp' } }),
      }),
    );
    expect(created.status).toBe(201);
    return started;
  }

  it('are issued at a rate limit per client address: 429 with Retry-After', async () => {
    const limited = await originWithChannel({
      PLAYBACK_BURST: '3',
      PLAYBACK_RATE_PER_SEC: '0.2',
      TRUST_PROXY: 'loopback',
    });
    try {
      const ask = (from: string) =>
        fetch(`${limited.url}/api/playback/viewers`, { headers: { 'x-forwarded-for': from } });
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push((await ask('198.51.100.1')).status);
      expect(answers).toEqual([200, 200, 200]);
      const refused = await ask('198.51.100.1');
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(((await refused.json()) as { error: string }).error).toBe('rate_limited');
      // Another address has its own bucket.
      expect((await ask('198.51.100.2')).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('PLAYBACK_AUTH=signed: only requests the operator site signed, until they expire', async () => {
    const secret = 'the-operator-site-shares-this-secret';
    const signed = await originWithChannel({
      PLAYBACK_AUTH: 'signed',
      PLAYBACK_SIGNING_SECRET: secret,
    });
    try {
      const ask = async (query: string) => {
        const response = await fetch(`${signed.url}/api/playback/viewers${query}`);
        return {
          status: response.status,
          error: ((await response.json()) as { error?: string }).error,
        };
      };
      const expires = Math.floor(Date.now() / 1000) + 60;
      const sig = signPlayback(secret, 'viewers', expires);
      expect(await ask('')).toEqual({ status: 403, error: 'signature_required' });
      expect(await ask(`?expires=${expires}&sig=${'0'.repeat(64)}`)).toEqual({
        status: 403,
        error: 'bad_signature',
      });
      expect(await ask(`?expires=${expires + 1}&sig=${sig}`)).toEqual({
        status: 403,
        error: 'bad_signature',
      });
      const past = expires - 120;
      expect(await ask(`?expires=${past}&sig=${signPlayback(secret, 'viewers', past)}`)).toEqual({
        status: 403,
        error: 'signature_expired',
      });
      expect((await ask(`?expires=${expires}&sig=${sig}`)).status).toBe(200);
    } finally {
      await signed.close();
    }
  });
});
