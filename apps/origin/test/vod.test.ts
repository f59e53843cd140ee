import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  checkSha256,
  importIntegrityPublicKey,
  playbackInfoSchema,
  VIEWER_TOKEN_AUDIENCE,
  VIEWER_TOKEN_ISSUER,
  verifyVodManifest,
  viewerTokenClaimsSchema,
  vodManifestSchema,
} from '@coral-cdn/protocol';
import { makeTempDir } from '@coral-cdn/test-support';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subtle } from '../src/integrity/hash.js';
import {
  authed,
  clip,
  ffprobe,
  startTestOrigin,
  upload,
  waitSettled,
  type TestOrigin,
} from './helpers.js';

const temp = makeTempDir('coral-origin-vod-');
let origin: TestOrigin;
let clips: { hd: string; audioOnly: string; videoOnly: string };

beforeAll(async () => {
  clips = {
    hd: clip(temp.path, 'hd.mp4', { durationSec: 5, width: 1280, height: 720 }),
    audioOnly: clip(temp.path, 'audio.m4a', { durationSec: 3, video: false }),
    videoOnly: clip(temp.path, 'small.mp4', {
      durationSec: 3,
      width: 640,
      height: 360,
      audio: false,
    }),
  };
  origin = await startTestOrigin(
    {
      EDGES: 'eu-west=http://127.0.0.1:18081,us-east=http://127.0.0.1:18082',
      DEFAULT_REGION: 'eu-west',
      TRACKER_URLS: 'ws://127.0.0.1:18090/ws,ws://127.0.0.1:18091/ws',
      TOKEN_TTL_SEC: '120',
      JOB_CONCURRENCY: '2',
      PUBLIC_URL: 'https://origin.example/',
    },
    temp,
  );
  const uploads = await Promise.all([
    upload(origin.url, await blob(clips.hd), { id: 'ladder', title: 'HD test' }),
    upload(origin.url, await blob(clips.audioOnly), { id: 'radio' }, 'audio.m4a'),
    upload(origin.url, await blob(clips.videoOnly), { id: 'silent' }),
  ]);
  for (const response of uploads) expect(response.status).toBe(202);
  for (const id of ['ladder', 'radio', 'silent']) {
    expect((await waitSettled(origin.url, id)).status).toBe('ready');
  }
});

afterAll(async () => {
  await origin?.close();
  temp.remove();
});

async function blob(path: string): Promise<Blob> {
  return new Blob([await readFile(path)]);
}

const vodDir = (id: string) => join(origin.dataDir, 'vod', id);

function streamInfs(master: string): Array<{ attrs: string; uri: string }> {
  const lines = master.trim().split('\n');
  return lines.flatMap((line, i) =>
    line.startsWith('#EXT-X-STREAM-INF:') ? [{ attrs: line, uri: lines[i + 1]! }] : [],
  );
}

interface ProbeOut {
  streams: Array<{ codec_type: string; codec_name: string; width?: number; height?: number }>;
  format: { duration: string };
  packets?: Array<{ flags: string; pts_time: string; duration_time: string }>;
}

describe('VOD packaging', () => {
  it('answers 202 with the id, and reports the ladder when ready', async () => {
    const response = await fetch(`${origin.url}/api/videos/ladder`);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      id: 'ladder',
      title: 'HD test',
      status: 'ready',
      progress: 1,
      manifestPath: '/vod/ladder/master.m3u8',
      manifestUrl: 'https://origin.example/vod/ladder/master.m3u8',
    });
    expect(body.durationSec).toBeCloseTo(5, 0);
    const listed = (await (await fetch(`${origin.url}/api/videos`)).json()) as {
      videos: Array<{ id: string }>;
    };
    expect(listed.videos.map((v) => v.id).sort()).toEqual(['ladder', 'radio', 'silent']);
  });

  it('makes 720p/480p/240p with BANDWIDTH, RESOLUTION and CODECS in the master playlist', async () => {
    const master = await (await fetch(`${origin.url}/vod/ladder/master.m3u8`)).text();
    const variants = streamInfs(master);
    expect(variants.map((v) => v.uri)).toEqual([
      '720p/index.m3u8',
      '480p/index.m3u8',
      '240p/index.m3u8',
    ]);
    const resolutions = variants.map((v) => /RESOLUTION=(\d+x\d+)/.exec(v.attrs)?.[1]);
    expect(resolutions).toEqual(['1280x720', '854x480', '426x240']);
    const bandwidths = variants.map((v) => Number(/BANDWIDTH=(\d+)/.exec(v.attrs)?.[1]));
    expect(bandwidths[0]).toBeGreaterThan(bandwidths[1]!);
    expect(bandwidths[1]).toBeGreaterThan(bandwidths[2]!);
    for (const variant of variants) {
      expect(variant.attrs).toMatch(/CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2"/);
    }
  });

  it('cuts every rendition into the same 2 s segments, each starting on a keyframe (ffprobe)', async () => {
    const counts: number[] = [];
    for (const rendition of ['720p', '480p', '240p']) {
      const dir = join(vodDir('ladder'), rendition);
      const whole = (await ffprobe(['-show_streams', join(dir, 'index.m3u8')])) as ProbeOut;
      const video = whole.streams.find((s) => s.codec_type === 'video')!;
      expect(video.codec_name).toBe('h264');
      expect(`${video.width}x${video.height}`).toBe(
        { '720p': '1280x720', '480p': '854x480', '240p': '426x240' }[rendition],
      );
      expect(whole.streams.some((s) => s.codec_type === 'audio' && s.codec_name === 'aac')).toBe(
        true,
      );
      const playlist = await readFile(join(dir, 'index.m3u8'), 'utf8');
      const segments = playlist.split('\n').filter((line) => line.startsWith('seg_'));
      counts.push(segments.length);
      const init = await readFile(join(dir, 'init.mp4'));
      for (const [index, segment] of segments.entries()) {
        expect(segment).toBe(`seg_${String(index).padStart(5, '0')}.m4s`);
        const joined = join(temp.path, `${rendition}-${segment}.mp4`);
        await writeFile(joined, Buffer.concat([init, await readFile(join(dir, segment))]));
        const probe = (await ffprobe([
          '-select_streams',
          'v:0',
          '-show_entries',
          'packet=pts_time,duration_time,flags',
          joined,
        ])) as ProbeOut;
        // A segment carries its position (tfdt): measure it from its own packets.
        const packets = probe.packets!;
        const first = Math.min(...packets.map((p) => Number(p.pts_time)));
        const end = Math.max(...packets.map((p) => Number(p.pts_time) + Number(p.duration_time)));
        const duration = end - first;
        expect(first).toBeCloseTo(index * 2, 1);
        if (index < segments.length - 1) expect(duration).toBeCloseTo(2, 1);
        else expect(duration).toBeGreaterThan(0.5);
        expect(packets[0]!.flags).toContain('K');
      }
    }
    expect(counts).toEqual([3, 3, 3]);
  });

  it('makes one "audio" rendition from an audio-only source', async () => {
    const master = await (await fetch(`${origin.url}/vod/radio/master.m3u8`)).text();
    const variants = streamInfs(master);
    expect(variants).toHaveLength(1);
    expect(variants[0]!.uri).toBe('audio/index.m3u8');
    expect(variants[0]!.attrs).toContain('CODECS="mp4a.40.2"');
    expect(variants[0]!.attrs).not.toContain('RESOLUTION');
    const probe = (await ffprobe([
      '-show_streams',
      join(vodDir('radio'), 'audio', 'index.m3u8'),
    ])) as ProbeOut;
    expect(probe.streams.map((s) => s.codec_type)).toEqual(['audio']);
  });

  it('never upscales, and leaves audio out for a video-only source', async () => {
    const master = await (await fetch(`${origin.url}/vod/silent/master.m3u8`)).text();
    const variants = streamInfs(master);
    expect(variants.map((v) => v.uri)).toEqual(['360p/index.m3u8', '240p/index.m3u8']);
    expect(variants[0]!.attrs).toContain('RESOLUTION=640x360');
    for (const variant of variants) expect(variant.attrs).toMatch(/CODECS="avc1\.[0-9a-f]{6}"/);
  });
});

describe('integrity manifests', () => {
  it('verify with the playback public key, and fail when one byte of a segment changes', async () => {
    const playback = playbackInfoSchema.parse(
      await (await fetch(`${origin.url}/api/playback/ladder`)).json(),
    );
    const key = await importIntegrityPublicKey(subtle, playback.publicKey);
    if (!key.ok) throw new Error(key.error.message);
    const response = await fetch(`${origin.url}/vod/ladder/480p/integrity.json`);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const manifest = vodManifestSchema.parse(await response.json());
    expect(manifest).toMatchObject({ kind: 'vod', streamId: 'ladder', rendition: '480p' });
    expect(manifest.segments.map((s) => s.sequence)).toEqual([0, 1, 2]);
    expect((await verifyVodManifest(subtle, key.value, manifest)).ok).toBe(true);

    const init = new Uint8Array(
      await (await fetch(`${origin.url}/vod/ladder/480p/init.mp4`)).arrayBuffer(),
    );
    expect((await checkSha256(subtle, init, manifest.init!.sha256)).ok).toBe(true);
    for (const entry of manifest.segments) {
      const bytes = new Uint8Array(
        await (await fetch(`${origin.url}/vod/ladder/480p/${entry.uri}`)).arrayBuffer(),
      );
      expect(bytes.byteLength).toBe(entry.sizeBytes);
      expect((await checkSha256(subtle, bytes, entry.sha256)).ok).toBe(true);
      bytes[Math.floor(bytes.byteLength / 2)]! ^= 0x01;
      const tampered = await checkSha256(subtle, bytes, entry.sha256);
      expect(tampered.ok).toBe(false);
    }
    // A manifest whose listed hash was altered no longer carries a valid signature.
    const forged = structuredClone(manifest);
    forged.segments[1]!.sha256 = forged.segments[0]!.sha256;
    const result = await verifyVodManifest(subtle, key.value, forged);
    expect(result.ok).toBe(false);
  });
});

describe('HLS over HTTP', () => {
  it('serves segments immutable, with ETag, 304, Range and 416', async () => {
    const url = `${origin.url}/vod/ladder/720p/seg_00001.m4s`;
    const full = await fetch(url);
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toBe('video/iso.segment');
    expect(full.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(full.headers.get('accept-ranges')).toBe('bytes');
    const etag = full.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    const bytes = new Uint8Array(await full.arrayBuffer());

    const notModified = await fetch(url, { headers: { 'if-none-match': etag } });
    expect(notModified.status).toBe(304);

    const partial = await fetch(url, { headers: { range: 'bytes=100-199' } });
    expect(partial.status).toBe(206);
    expect(partial.headers.get('content-range')).toBe(`bytes 100-199/${bytes.byteLength}`);
    expect(new Uint8Array(await partial.arrayBuffer())).toEqual(bytes.subarray(100, 200));

    const beyond = await fetch(url, { headers: { range: `bytes=${bytes.byteLength}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${bytes.byteLength}`);

    const head = await fetch(url, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String(bytes.byteLength));
  });

  it('serves playlists with their type, long VOD caching and CORS', async () => {
    for (const path of ['/vod/ladder/master.m3u8', '/vod/ladder/720p/index.m3u8']) {
      const response = await fetch(`${origin.url}${path}`, {
        headers: { origin: 'https://player.example' },
      });
      expect(response.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
      expect(response.headers.get('cache-control')).toBe('public, max-age=86400');
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
    }
    const init = await fetch(`${origin.url}/vod/ladder/720p/init.mp4`);
    expect(init.headers.get('content-type')).toBe('video/mp4');
    expect(init.headers.get('cache-control')).toContain('immutable');
    const preflight = await fetch(`${origin.url}/vod/ladder/720p/seg_00000.m4s`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://player.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'range',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Range');
  });

  it('serves only published names: 404 for the rest, 400 for a traversal', async () => {
    for (const path of [
      '/vod/ladder/meta.json',
      '/vod/ladder/720p/ffmpeg.m3u8',
      '/vod/ladder/720p/seg_00099.m4s',
      '/vod/nothing/master.m3u8',
    ]) {
      const response = await fetch(`${origin.url}${path}`);
      expect(response.status, path).toBe(404);
      expect(((await response.json()) as { error: string }).error).toBe('not_found');
    }
    const traversal = await fetch(`${origin.url}/vod/..%2F..%2Fkeys/integrity.pem`);
    expect(traversal.status).toBe(400);
    expect(await traversal.json()).toMatchObject({ error: 'bad_id' });
  });
});

describe('playback API', () => {
  async function playback(query = '', headers: Record<string, string> = {}) {
    const response = await fetch(`${origin.url}/api/playback/ladder${query}`, { headers });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    return playbackInfoSchema.parse(await response.json());
  }

  it('answers the protocol schema, with the edge of the viewer region', async () => {
    const byDefault = await playback();
    expect(byDefault).toMatchObject({
      id: 'ladder',
      kind: 'vod',
      swarmId: 'ladder',
      manifestUrl: 'http://127.0.0.1:18081/vod/ladder/master.m3u8',
      edge: { url: 'http://127.0.0.1:18081', region: 'eu-west' },
    });
    expect(['ws://127.0.0.1:18090/ws', 'ws://127.0.0.1:18091/ws']).toContain(byDefault.trackerUrl);
    expect((await playback('?region=us-east')).manifestUrl).toBe(
      'http://127.0.0.1:18082/vod/ladder/master.m3u8',
    );
    expect((await playback('', { 'x-coral-region': 'us-east' })).edge.region).toBe('us-east');
    expect((await playback('?region=mars')).edge.region).toBe('eu-west');
    // The same stream always gets the same tracker.
    expect((await playback()).trackerUrl).toBe(byDefault.trackerUrl);
  });

  it('issues a short-lived token that verifies against the JWKS', async () => {
    const info = await playback('?region=us-east');
    const jwksResponse = await fetch(`${origin.url}/.well-known/jwks.json`);
    const jwks = (await jwksResponse.json()) as JSONWebKeySet;
    expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(jwks.keys[0]!.kid).toBeTruthy();
    const keySet = createLocalJWKSet(jwks);
    const { payload, protectedHeader } = await jwtVerify(info.token, keySet, {
      issuer: VIEWER_TOKEN_ISSUER,
      audience: VIEWER_TOKEN_AUDIENCE,
    });
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', kid: jwks.keys[0]!.kid });
    expect(viewerTokenClaimsSchema.parse(payload)).toMatchObject({
      stream: 'ladder',
      region: 'us-east',
    });
    expect(payload.exp! - payload.iat!).toBe(120);
    expect(new Date(info.tokenExpiresAt).getTime()).toBe(payload.exp! * 1000);
    await expect(jwtVerify(info.token, keySet, { audience: 'someone-else' })).rejects.toThrow();
  });

  it('refuses unknown ids (404) and bad ids (400)', async () => {
    const unknown = await fetch(`${origin.url}/api/playback/nope`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: 'unknown_id' });
    const bad = await fetch(`${origin.url}/api/playback/a.b`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'bad_id' });
  });
});

describe('deleting a video', () => {
  it('unpublishes it and frees the id', async () => {
    const deleted = await fetch(`${origin.url}/api/videos/silent`, authed({ method: 'DELETE' }));
    expect(deleted.status).toBe(204);
    expect((await fetch(`${origin.url}/vod/silent/master.m3u8`)).status).toBe(404);
    expect((await fetch(`${origin.url}/api/videos/silent`)).status).toBe(404);
    const again = await fetch(`${origin.url}/api/videos/silent`, authed({ method: 'DELETE' }));
    expect(again.status).toBe(404);
  });
});
