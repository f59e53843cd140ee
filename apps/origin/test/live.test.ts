import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { copyFile, mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  checkSha256,
  importIntegrityPublicKey,
  liveManifestSchema,
  playbackInfoSchema,
  verifyLiveInit,
  verifyLiveSegment,
  type LiveManifest,
} from '@coral-cdn/protocol';
import { makeTempDir, waitFor } from '@coral-cdn/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMediaPlaylist, type MediaPlaylist } from '../src/hls/playlist.js';
import { subtle } from '../src/integrity/hash.js';
import { AUTH, authed, clip, startTestOrigin, type TestOrigin } from './helpers.js';

const temp = makeTempDir('coral-origin-live-');
let origin: TestOrigin;

beforeAll(async () => {
  origin = await startTestOrigin(
    {
      SEGMENT_DURATION_SEC: '1',
      LIVE_WINDOW_SEGMENTS: '3',
      LIVE_TESTSRC_SIZE: '640x360',
      LADDER: '360:600k:64k,240:300k:64k',
      LIVE_POLL_MS: '50',
    },
    temp,
  );
});

afterAll(async () => {
  await origin?.close();
  temp.remove();
});

interface ChannelView {
  id: string;
  status: string;
  ingestUrl?: string;
  renditions: string[];
  lastSequence?: number;
}

async function post(path: string, body?: unknown): Promise<Response> {
  return fetch(`${origin.url}${path}`, {
    method: 'POST',
    headers: { ...AUTH, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function channel(id: string): Promise<ChannelView> {
  return (await (await fetch(`${origin.url}/api/live/${id}`)).json()) as ChannelView;
}

async function playlist(id: string, rendition: string): Promise<MediaPlaylist | null> {
  const response = await fetch(`${origin.url}/live/${id}/${rendition}/index.m3u8`);
  return response.ok ? parseMediaPlaylist(await response.text()) : null;
}

const liveDir = (id: string) => join(origin.dataDir, 'live', id);

describe('a test-pattern live channel', () => {
  let firstSequence = 0;

  it('is created (201) and starts publishing a sliding window', async () => {
    const created = await post('/api/live', { id: 'pattern', source: { type: 'testsrc' } });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({
      id: 'pattern',
      status: 'starting',
      renditions: ['360p', '240p'],
    });
    const first = await waitFor(
      'three segments',
      async () => {
        const current = await playlist('pattern', '240p');
        return current && current.segments.length === 3 ? current : null;
      },
      { timeoutMs: 20_000 },
    );
    firstSequence = first.mediaSequence;
    expect((await channel('pattern')).status).toBe('running');
    expect(first.targetDurationSec).toBe(1);
    expect(first.endList).toBe(false);
    expect(first.mapUri).toBe('init.mp4');
    for (const segment of first.segments) {
      expect(segment.programDateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}/);
      expect(segment.durationSec).toBeCloseTo(1, 1);
    }
  });

  it('advances, and deletes segments that left the window', async () => {
    const oldest = `seg_${String(firstSequence).padStart(5, '0')}.m4s`;
    const advanced = await waitFor(
      'the window to move on by 3',
      async () => {
        const current = await playlist('pattern', '240p');
        return current && current.mediaSequence >= firstSequence + 3 ? current : null;
      },
      { timeoutMs: 20_000 },
    );
    expect(advanced.segments).toHaveLength(3);
    await waitFor(
      'the oldest segment to be deleted',
      async () => !(await readdir(join(liveDir('pattern'), '240p'))).includes(oldest),
    );
    const gone = await fetch(`${origin.url}/live/pattern/240p/${oldest}`);
    expect(gone.status).toBe(404);
    expect(gone.headers.get('cache-control')).toBe('no-store');
  });

  it('serves live playlists and manifests with max-age of half a segment at most', async () => {
    for (const path of ['master.m3u8', '240p/index.m3u8', '240p/integrity.json']) {
      const response = await fetch(`${origin.url}/live/pattern/${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('cache-control')).toBe('public, max-age=1');
    }
    const master = await (await fetch(`${origin.url}/live/pattern/master.m3u8`)).text();
    expect(master).toMatch(
      /RESOLUTION=640x360,.*CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2"\n360p\/index\.m3u8/,
    );
    expect(master).toMatch(/RESOLUTION=426x240,.*\n240p\/index\.m3u8/);
    const info = playbackInfoSchema.parse(
      await (await fetch(`${origin.url}/api/playback/pattern`)).json(),
    );
    expect(info.kind).toBe('live');
    expect(info.manifestUrl).toBe('http://127.0.0.1:8081/live/pattern/master.m3u8');
  });

  it('signs each segment as it is published: the playlist never lists an unsigned one', async () => {
    const info = playbackInfoSchema.parse(
      await (await fetch(`${origin.url}/api/playback/pattern`)).json(),
    );
    const key = await importIntegrityPublicKey(subtle, info.publicKey);
    if (!key.ok) throw new Error(key.error.message);
    for (let round = 0; round < 3; round++) {
      const listed = (await playlist('pattern', '360p'))!;
      const manifest: LiveManifest = liveManifestSchema.parse(
        await (await fetch(`${origin.url}/live/pattern/360p/integrity.json`)).json(),
      );
      const signed = new Set(manifest.segments.map((s) => s.sequence));
      // Read after the playlist: a listed segment is signed, or it has left the live window
      // since (a busy machine can take a segment duration between the two reads).
      const newestListed = listed.mediaSequence + listed.segments.length - 1;
      expect(signed).toContain(newestListed);
      const oldestSigned = Math.min(...signed);
      listed.segments.forEach((_s, i) => {
        const sequence = listed.mediaSequence + i;
        if (sequence >= oldestSigned) expect(signed).toContain(sequence);
      });
      expect((await verifyLiveInit(subtle, key.value, 'pattern', '360p', manifest.init!)).ok).toBe(
        true,
      );
      for (const entry of manifest.segments) {
        expect((await verifyLiveSegment(subtle, key.value, 'pattern', '360p', entry)).ok).toBe(
          true,
        );
        const forged = { ...entry, sequence: entry.sequence + 1 };
        expect((await verifyLiveSegment(subtle, key.value, 'pattern', '360p', forged)).ok).toBe(
          false,
        );
      }
      const newest = manifest.segments.at(-1)!;
      const response = await fetch(`${origin.url}/live/pattern/360p/${newest.uri}`);
      if (response.status === 404) continue; // slid out between the two requests
      const bytes = new Uint8Array(await response.arrayBuffer());
      expect((await checkSha256(subtle, bytes, newest.sha256)).ok).toBe(true);
      bytes[bytes.byteLength - 1]! ^= 0xff;
      expect((await checkSha256(subtle, bytes, newest.sha256)).ok).toBe(false);
      await new Promise((resolve) => setTimeout(resolve, 700));
    }
  });

  it('publishes a segment well within one segment duration of ffmpeg listing it', async () => {
    const dir = join(liveDir('pattern'), '240p');
    const read = async (file: string) => {
      try {
        return parseMediaPlaylist(await readFile(join(dir, file), 'utf8'));
      } catch {
        return null;
      }
    };
    const lastOf = (p: MediaPlaylist | null) => (p ? p.mediaSequence + p.segments.length - 1 : -1);
    const start = lastOf(await read('ffmpeg.m3u8'));
    const listedAt = await waitFor(
      'ffmpeg to list a new segment',
      async () => (lastOf(await read('ffmpeg.m3u8')) > start ? performance.now() : null),
      { intervalMs: 10 },
    );
    const publishedAt = await waitFor(
      'the origin to publish it',
      async () => (lastOf(await read('index.m3u8')) > start ? performance.now() : null),
      { intervalMs: 10 },
    );
    expect(publishedAt - listedAt).toBeLessThan(1000);
  });

  it('stops (ENDLIST, ffmpeg gone) and restarts where the numbering left off', async () => {
    const pid = Number(await readFile(join(liveDir('pattern'), 'ffmpeg.pid'), 'utf8'));
    const initBefore = await readFile(join(liveDir('pattern'), '240p', 'init.mp4'));
    const stopped = await post('/api/live/pattern/stop');
    expect(await stopped.json()).toMatchObject({ status: 'stopped' });
    expect(() => process.kill(pid, 0)).toThrow();
    const ended = (await playlist('pattern', '240p'))!;
    expect(ended.endList).toBe(true);
    const lastBefore = ended.mediaSequence + ended.segments.length - 1;

    const started = await post('/api/live/pattern/start');
    expect(await started.json()).toMatchObject({ status: 'starting' });
    const resumed = await waitFor(
      'segments of the new run',
      async () => {
        const current = await playlist('pattern', '240p');
        return current && !current.endList ? current : null;
      },
      { timeoutMs: 20_000 },
    );
    expect(resumed.mediaSequence).toBe(lastBefore + 1);
    // Same source, same encoder settings: the (immutable) init segment is byte-identical.
    expect(await readFile(join(liveDir('pattern'), '240p', 'init.mp4'))).toEqual(initBefore);
    const files = await readdir(join(liveDir('pattern'), '240p'));
    const numbers = files.flatMap((f) => /^seg_(\d+)\.m4s$/.exec(f)?.[1] ?? []).map(Number);
    expect(Math.min(...numbers)).toBeGreaterThan(lastBefore);
    expect((await post('/api/live/pattern/stop')).status).toBe(200);
  });
});

describe('a file looped as a live channel', () => {
  it('plays a file from the sources folder in real time, and is deleted', async () => {
    await mkdir(origin.config.LIVE_SOURCES_DIR, { recursive: true });
    const source = clip(temp.path, 'loop.mp4', { durationSec: 2, width: 320, height: 240 });
    await copyFile(source, join(origin.config.LIVE_SOURCES_DIR, 'loop.mp4'));
    const created = await post('/api/live', {
      id: 'looped',
      source: { type: 'file', path: 'loop.mp4' },
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({
      source: { type: 'file', path: 'loop.mp4' },
      renditions: ['240p'],
    });
    await waitFor(
      'looped segments beyond the file length',
      async () => {
        const current = await playlist('looped', '240p');
        return current && current.mediaSequence + current.segments.length > 3;
      },
      { timeoutMs: 20_000 },
    );
    const deleted = await fetch(`${origin.url}/api/live/looped`, authed({ method: 'DELETE' }));
    expect(deleted.status).toBe(204);
    expect((await fetch(`${origin.url}/api/live/looped`)).status).toBe(404);
    expect((await fetch(`${origin.url}/live/looped/master.m3u8`)).status).toBe(404);
  });
});

describe('push sources', () => {
  function push(args: string[]): Promise<number | null> {
    const child = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...args], {
      stdio: 'ignore',
    });
    return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }
  const testStream = [
    ...['-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30'],
    ...['-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'],
    ...['-t', '4', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '30', '-pix_fmt', 'yuv420p'],
    ...['-c:a', 'aac'],
  ];

  /** Whether a UDP socket is bound to `port` (ffmpeg's SRT listener is up). */
  async function udpBound(port: number): Promise<boolean> {
    const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
    for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
      const lines = (await readFile(file, 'utf8').catch(() => '')).split('\n');
      if (lines.some((line) => line.trim().split(/\s+/)[1]?.endsWith(hex))) return true;
    }
    return false;
  }

  for (const type of ['rtmp', 'srt'] as const) {
    it(`takes a ${type.toUpperCase()} push on the ingest URL it hands out`, async () => {
      const created = await post('/api/live', { id: `push-${type}`, source: { type } });
      expect(created.status).toBe(201);
      const view = (await created.json()) as ChannelView;
      expect(view.status).toBe('starting');
      expect(view.ingestUrl).toMatch(new RegExp(`^${type}://127\\.0\\.0\\.1:\\d+`));
      const port = Number(/:(\d+)/.exec(view.ingestUrl!.slice(6))![1]);
      // RTMP: the key check listens before the channel is created; SRT: ffmpeg itself.
      if (type === 'srt') await waitFor('the SRT listener', () => udpBound(port));
      const format = type === 'rtmp' ? 'flv' : 'mpegts';
      const pushed = push([...testStream, '-f', format, view.ingestUrl!]);
      await waitFor(
        `${type} segments`,
        async () => {
          const current = await playlist(`push-${type}`, '240p');
          return current && current.segments.length >= 2;
        },
        { timeoutMs: 40_000 },
      );
      expect((await channel(`push-${type}`)).status).toBe('running');
      expect(await pushed).toBe(0);
      // The publisher is gone: the channel listens again for the next one.
      await waitFor(
        'listening again',
        async () => (await channel(`push-${type}`)).status === 'starting',
      );
      expect(
        (await fetch(`${origin.url}/api/live/push-${type}`, authed({ method: 'DELETE' }))).status,
      ).toBe(204);
    });
  }

  it('refuses an RTMP push with a wrong key, before it reaches ffmpeg', async () => {
    const created = await post('/api/live', { id: 'push-key', source: { type: 'rtmp' } });
    const view = (await created.json()) as ChannelView;
    const right = view.ingestUrl!;
    const wrongKey = right.replace(/\/live\/[^/]+$/, '/live/not-the-key');
    const port = Number(/:(\d+)\//.exec(right.slice(7))![1]);
    expect(await push([...testStream, '-f', 'flv', wrongKey])).not.toBe(0);
    expect((await channel('push-key')).status).toBe('starting');
    expect(await playlist('push-key', '240p')).toBeNull();
    // Connections that never publish hold nothing up either, even as many as may wait at once.
    const idle = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const socket = connect(port, '127.0.0.1');
        socket.on('error', () => undefined);
        await new Promise((resolve) => socket.once('connect', resolve));
        return socket;
      }),
    );
    try {
      for (const round of [1, 2]) {
        const pushed = push([...testStream, '-f', 'flv', right]);
        await waitFor(
          `segments of push ${round}`,
          async () => (await channel('push-key')).status === 'running',
          { timeoutMs: 40_000 },
        );
        expect(await pushed).toBe(0);
        // The same ingest URL takes the next publisher once this one has gone.
        await waitFor(
          'listening again',
          async () => (await channel('push-key')).status === 'starting',
        );
      }
    } finally {
      for (const socket of idle) socket.destroy();
    }
    expect(
      (await fetch(`${origin.url}/api/live/push-key`, authed({ method: 'DELETE' }))).status,
    ).toBe(204);
    // Two pushes in real time, each waited on for up to 40 s on a busy machine.
  }, 120_000);
});
