import { createHash } from 'node:crypto';
import {
  importIntegrityPublicKey,
  liveManifestSchema,
  verifyLivePart,
  verifyLiveSegment,
} from '@coral-cdn/protocol';
import { makeTempDir, waitFor } from '@coral-cdn/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subtle } from '../src/integrity/hash.js';
import { AUTH, authed, startTestOrigin, type TestOrigin } from './helpers.js';

/**
 * LL-HLS channels checked against RFC 8216bis (4.4.3.7 PART-INF, 4.4.3.8 SERVER-CONTROL,
 * 4.4.4.9 PART, 4.4.5.3 PRELOAD-HINT, 4.4.5.4 RENDITION-REPORT, 6.2.5.2 blocking reload).
 */

const temp = makeTempDir('coral-origin-ll-');
let origin: TestOrigin;

beforeAll(async () => {
  origin = await startTestOrigin(
    {
      LIVE_WINDOW_SEGMENTS: '4',
      LIVE_TESTSRC_SIZE: '320x180',
      LADDER: '180:300k:48k,144:150k:32k',
    },
    temp,
  );
});

afterAll(async () => {
  await origin?.close();
  temp.remove();
});

interface Part {
  durationSec: number;
  uri: string;
  independent: boolean;
}
interface Segment {
  msn: number;
  durationSec: number;
  uri: string;
  parts: Part[];
}
interface LlPlaylist {
  targetDurationSec: number;
  mediaSequence: number;
  serverControl: Record<string, string>;
  partTargetSec: number;
  segments: Segment[];
  /** Parts after the last EXTINF: the segment in progress. */
  pending: Part[];
  hints: string[];
  reports: Record<string, string>[];
  endList: boolean;
}

function attributes(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const match of text.matchAll(/([A-Z0-9-]+)=("[^"]*"|[^,]*)/g)) {
    out[match[1]!] = match[2]!.replace(/^"|"$/g, '');
  }
  return out;
}

/** A small parser written from the spec, strict about what it reads. */
function parseLl(text: string): LlPlaylist {
  const lines = text.split('\n').filter((line) => line !== '');
  expect(lines[0]).toBe('#EXTM3U');
  const playlist: LlPlaylist = {
    targetDurationSec: NaN,
    mediaSequence: NaN,
    serverControl: {},
    partTargetSec: NaN,
    segments: [],
    pending: [],
    hints: [],
    reports: [],
    endList: false,
  };
  let extinf: number | null = null;
  for (const line of lines.slice(1)) {
    const [tag, value = ''] = line.startsWith('#')
      ? [line.split(':')[0], line.slice(line.indexOf(':') + 1)]
      : [null, line];
    if (tag === '#EXT-X-TARGETDURATION') playlist.targetDurationSec = Number(value);
    else if (tag === '#EXT-X-MEDIA-SEQUENCE') playlist.mediaSequence = Number(value);
    else if (tag === '#EXT-X-SERVER-CONTROL') playlist.serverControl = attributes(value);
    else if (tag === '#EXT-X-PART-INF')
      playlist.partTargetSec = Number(attributes(value)['PART-TARGET']);
    else if (tag === '#EXT-X-PART') {
      const a = attributes(value);
      playlist.pending.push({
        durationSec: Number(a.DURATION),
        uri: a.URI!,
        independent: a.INDEPENDENT === 'YES',
      });
    } else if (tag === '#EXTINF') extinf = Number.parseFloat(value);
    else if (tag === '#EXT-X-PRELOAD-HINT') {
      const a = attributes(value);
      expect(a.TYPE).toBe('PART');
      playlist.hints.push(a.URI!);
    } else if (tag === '#EXT-X-RENDITION-REPORT') playlist.reports.push(attributes(value));
    else if (tag === '#EXT-X-ENDLIST') playlist.endList = true;
    else if (tag === null) {
      expect(extinf).not.toBeNull();
      playlist.segments.push({
        msn: playlist.mediaSequence + playlist.segments.length,
        durationSec: extinf!,
        uri: value,
        parts: playlist.pending,
      });
      playlist.pending = [];
      extinf = null;
    }
  }
  return playlist;
}

const partPosition = (uri: string) => {
  const match = /^part_(\d+)_(\d+)\.m4s$/.exec(uri);
  expect(match, uri).not.toBeNull();
  return { msn: Number(match![1]), part: Number(match![2]) };
};

async function get(path: string): Promise<Response> {
  return fetch(`${origin.url}${path}`);
}

async function playlist(id: string, rendition: string, query = ''): Promise<LlPlaylist> {
  const response = await get(`/live/${id}/${rendition}/index.m3u8${query}`);
  expect(response.status).toBe(200);
  return parseLl(await response.text());
}

const sha256 = (bytes: ArrayBuffer) =>
  createHash('sha256').update(Buffer.from(bytes)).digest('hex');

/** The last part listed: in the segment in progress, or the last complete segment's. */
function lastPart(list: LlPlaylist): { msn: number; part: number } {
  const last = list.pending.at(-1) ?? list.segments.at(-1)!.parts.at(-1)!;
  return partPosition(last.uri);
}

describe('a low-latency test-pattern channel', () => {
  it('is created with lowLatency and publishes LL playlists for every rendition', async () => {
    const created = await fetch(`${origin.url}/api/live`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'll', source: { type: 'testsrc' }, lowLatency: true }),
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({
      id: 'll',
      lowLatency: { partTargetSec: expect.any(Number) },
    });
    await waitFor(
      'three complete segments in both renditions',
      async () => {
        for (const name of ['180p', '144p']) {
          const response = await get(`/live/ll/${name}/index.m3u8`);
          if (!response.ok) return false;
          if (parseLl(await response.text()).segments.length < 3) return false;
        }
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const master = await (await get('/live/ll/master.m3u8')).text();
    expect(master).toContain('180p/index.m3u8');
    expect(master).toContain('144p/index.m3u8');
  });

  it('follows the spec: server control, part target, parts, hint, rendition report', async () => {
    const list = await playlist('ll', '180p');
    expect(list.serverControl['CAN-BLOCK-RELOAD']).toBe('YES');
    const holdBack = Number(list.serverControl['PART-HOLD-BACK']);
    expect(list.partTargetSec).toBeGreaterThan(0);
    expect(holdBack).toBeGreaterThanOrEqual(3 * list.partTargetSec - 1e-9);
    const withParts = list.segments.filter((s) => s.parts.length > 0);
    expect(withParts.length).toBeGreaterThan(0);
    // Parts are listed for the newest segments only, contiguously up to the live edge.
    expect(list.segments.slice(-withParts.length)).toEqual(withParts);
    for (const segment of list.segments) {
      expect(Math.round(segment.durationSec)).toBeLessThanOrEqual(list.targetDurationSec);
      expect(segment.uri).toBe(`seg_${segment.msn}.m4s`);
    }
    for (const segment of withParts) {
      const sum = segment.parts.reduce((total, p) => total + p.durationSec, 0);
      expect(sum).toBeCloseTo(segment.durationSec, 3);
      // Segments start at keyframes: the first part is independent.
      expect(segment.parts[0]!.independent).toBe(true);
      segment.parts.forEach((part, index) =>
        expect(partPosition(part.uri)).toEqual({ msn: segment.msn, part: index }),
      );
    }
    for (const part of [...withParts.flatMap((s) => s.parts), ...list.pending]) {
      expect(part.durationSec).toBeLessThanOrEqual(list.partTargetSec);
    }
    // One preload hint, for the part after the last one.
    expect(list.hints).toHaveLength(1);
    const hint = partPosition(list.hints[0]!);
    const last = lastPart(list);
    expect(
      (hint.msn === last.msn && hint.part === last.part + 1) ||
        (hint.msn === last.msn + 1 && hint.part === 0),
    ).toBe(true);
    expect(list.reports).toHaveLength(1);
    expect(list.reports[0]).toMatchObject({ URI: '../144p/index.m3u8' });
    expect(Number(list.reports[0]!['LAST-MSN'])).toBeGreaterThanOrEqual(last.msn - 1);
    expect(list.endList).toBe(false);
  });

  it('serves parts and segments whose bytes match their signed entries', async () => {
    const manifestResponse = await get('/live/ll/180p/integrity.json');
    const manifest = liveManifestSchema.parse(await manifestResponse.json());
    const info = (await (await get('/api/playback/ll')).json()) as { publicKey: string };
    const key = await importIntegrityPublicKey(subtle, info.publicKey);
    if (!key.ok) throw new Error(key.error.message);
    const complete = manifest.segments.at(-1)!;
    const parts = manifest.parts!.filter((p) => p.sequence === complete.sequence);
    expect(parts.length).toBeGreaterThan(1);
    const bodies: Buffer[] = [];
    for (const part of parts) {
      const response = await get(`/live/ll/180p/${part.uri}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toContain('immutable');
      const bytes = await response.arrayBuffer();
      expect(sha256(bytes)).toBe(part.sha256);
      expect((await verifyLivePart(subtle, key.value, 'll', '180p', part)).ok).toBe(true);
      bodies.push(Buffer.from(bytes));
    }
    const segment = await (await get(`/live/ll/180p/${complete.uri}`)).arrayBuffer();
    // A segment is its parts, end to end: a peer holding every part holds the segment.
    expect(Buffer.from(segment).equals(Buffer.concat(bodies))).toBe(true);
    expect(sha256(segment)).toBe(complete.sha256);
    expect((await verifyLiveSegment(subtle, key.value, 'll', '180p', complete)).ok).toBe(true);
    const init = await (await get(`/live/ll/180p/${manifest.init!.uri}`)).arrayBuffer();
    expect(sha256(init)).toBe(manifest.init!.sha256);
  });

  it('holds a blocking reload until the asked part exists, then answers with it', async () => {
    const list = await playlist('ll', '180p');
    const hint = partPosition(list.hints[0]!);
    const started = Date.now();
    const blocked = await playlist('ll', '180p', `?_HLS_msn=${hint.msn}&_HLS_part=${hint.part}`);
    const heldMs = Date.now() - started;
    const after = lastPart(blocked);
    expect(after.msn > hint.msn || (after.msn === hint.msn && after.part >= hint.part)).toBe(true);
    // It was not there when asked: the answer waited for a new part (parts are ~0.5 s).
    expect(heldMs).toBeGreaterThan(20);
    expect(heldMs).toBeLessThan(3000);
  });

  it('holds an integrity manifest request the same way, so a new part has its hash', async () => {
    const list = await playlist('ll', '180p');
    const hint = partPosition(list.hints[0]!);
    const response = await get(
      `/live/ll/180p/integrity.json?_HLS_msn=${hint.msn}&_HLS_part=${hint.part}`,
    );
    const manifest = liveManifestSchema.parse(await response.json());
    const signed =
      manifest.parts!.some(
        (p) => p.sequence > hint.msn || (p.sequence === hint.msn && p.part >= hint.part),
      ) || manifest.segments.some((s) => s.sequence >= hint.msn);
    expect(signed).toBe(true);
    // Only what a fetcher of that part needs: nothing before it, the segment before it whole.
    expect(
      manifest.parts!.every(
        (p) => p.sequence > hint.msn || (p.sequence === hint.msn && p.part >= hint.part),
      ),
    ).toBe(true);
    expect(manifest.segments.every((s) => s.sequence >= hint.msn - 1)).toBe(true);
  });

  it('answers a preload-hint request as soon as the part is published', async () => {
    const list = await playlist('ll', '180p');
    const hintUri = list.hints[0]!;
    const response = await get(`/live/ll/180p/${hintUri}`);
    expect(response.status).toBe(200);
    const bytes = await response.arrayBuffer();
    const manifest = liveManifestSchema.parse(
      await (await get('/live/ll/180p/integrity.json')).json(),
    );
    const { msn, part } = partPosition(hintUri);
    const entry = manifest.parts!.find((p) => p.sequence === msn && p.part === part);
    if (entry) {
      expect(sha256(bytes)).toBe(entry.sha256);
    } else {
      // The hint guessed a part in a segment that closed at a keyframe: never served wrong bytes.
      expect.unreachable('a served hinted part must be in the manifest');
    }
  });

  it('refuses requests too far ahead (400) and malformed ones, at once', async () => {
    const list = await playlist('ll', '180p');
    const lastComplete = list.segments.at(-1)!.msn;
    const last = lastPart(list);
    const cases: [string, number][] = [
      [`?_HLS_msn=${lastComplete + 3}`, 400],
      [`?_HLS_msn=${last.msn}&_HLS_part=${last.part + 4}`, 400],
      ['?_HLS_part=1', 400],
      ['?_HLS_msn=abc', 400],
      ['?_HLS_msn=-1', 400],
      [`?_HLS_msn=${lastComplete}`, 200],
    ];
    for (const [query, status] of cases) {
      const started = Date.now();
      const response = await get(`/live/ll/180p/index.m3u8${query}`);
      expect(response.status, query).toBe(status);
      expect(Date.now() - started, query).toBeLessThan(400);
      await response.arrayBuffer();
    }
    // A part far ahead of the hint is a 404 at once, not a held request.
    const started = Date.now();
    const far = await get(`/live/ll/180p/part_${last.msn + 3}_0.m4s`);
    expect(far.status).toBe(404);
    expect(Date.now() - started).toBeLessThan(400);
    expect((await get(`/live/ll/180p/seg_${last.msn + 1}.m4s`)).status).toBe(404);
    expect((await get('/live/ll/180p/seg_1.m4s.tmp')).status).toBe(404);
    expect((await get('/live/ll/999p/index.m3u8')).status).toBe(404);
  });

  it('refuses a low-latency push channel with a clear 400', async () => {
    const response = await fetch(`${origin.url}/api/live`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ source: { type: 'rtmp' }, lowLatency: true }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'll_source_unsupported' });
    const bad = await fetch(`${origin.url}/api/live`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ source: { type: 'testsrc' }, lowLatency: { partTargetSec: 5 } }),
    });
    expect(bad.status).toBe(400);
  });

  it('stops: blocked requests are answered and the playlists end', async () => {
    const list = await playlist('ll', '180p');
    const hint = partPosition(list.hints[0]!);
    // The part after the hinted one: not published yet, and never too far ahead to wait for
    // (one segment past the hint can be three past the last complete one, which is a 400).
    const waiting = get(`/live/ll/180p/index.m3u8?_HLS_msn=${hint.msn}&_HLS_part=${hint.part + 1}`);
    const stopped = await fetch(`${origin.url}/api/live/ll/stop`, authed({ method: 'POST' }));
    expect(stopped.status).toBe(200);
    const answer = await waiting;
    expect(answer.status).toBe(200);
    const ended = await playlist('ll', '180p');
    expect(ended.endList).toBe(true);
    expect(ended.hints).toHaveLength(0);
    expect(ended.pending).toHaveLength(0);
  });
});
