import { describe, expect, it } from 'vitest';
import {
  resolveEngineConfig,
  parseMasterPlaylist,
  parseMediaPlaylist,
  renditionOfPlaylistUrl,
  resolveUri,
} from '../src/index.js';
import { PlaybackClock } from '../src/playback-clock.js';
import { SegmentStore } from '../src/segment-store.js';
import { StartupHold } from '../src/startup-hold.js';
import { ThroughputEstimator } from '../src/throughput.js';
import { uploadSlotsFor } from '../src/upload-limiter.js';
import { AnnouncedUplinks, MAX_ANNOUNCED_UPLINKS } from '../src/announced-uplinks.js';
import { TokenBucket } from '../src/token-bucket.js';
import { FakeClock } from './harness/fake-clock.js';

describe('config', () => {
  it('merges overrides onto defaults', () => {
    const config = resolveEngineConfig({ targetPeers: 3, region: 'us-east' });
    expect(config.targetPeers).toBe(3);
    expect(config.region).toBe('us-east');
    expect(config.p2pEnabled).toBe(true);
  });

  it.each([
    [{ maxPeers: 0 }, /maxPeers/],
    [{ targetPeers: 20, maxPeers: 10 }, /targetPeers/],
    [{ safetyMarginMs: -1 }, /safetyMarginMs/],
    [{ maxMessageBytes: 512 }, /maxMessageBytes/],
    [{ region: 'Not A Region' }, /region/],
    [{ uploadSlots: Number.NaN }, /uploadSlots/],
  ])('rejects %j naming the field', (overrides, pattern) => {
    expect(() => resolveEngineConfig(overrides)).toThrow(pattern);
  });
});

describe('m3u8', () => {
  const media = [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    '#EXT-X-TARGETDURATION:2',
    '#EXT-X-MEDIA-SEQUENCE:41',
    '#EXT-X-MAP:URI="init.mp4"',
    '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00.000Z',
    '#EXTINF:2.000,',
    'seg_00041.m4s',
    '#EXTINF:1.968,',
    'seg_00042.m4s?x=1',
  ].join('\n');

  it('parses sequences, durations and URIs of a live media playlist', () => {
    expect(parseMediaPlaylist(media)).toEqual({
      mediaSequence: 41,
      targetDurationSec: 2,
      endList: false,
      segments: [
        { sequence: 41, uri: 'seg_00041.m4s', durationSec: 2 },
        { sequence: 42, uri: 'seg_00042.m4s?x=1', durationSec: 1.968 },
      ],
    });
    expect(parseMediaPlaylist(`${media}\n#EXT-X-ENDLIST\n`)?.endList).toBe(true);
  });

  it('rejects what is not a media playlist', () => {
    expect(parseMediaPlaylist('<html>')).toBeNull();
    expect(parseMediaPlaylist('#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:-3\n')).toBeNull();
    expect(parseMediaPlaylist('#EXTM3U\n#EXTINF:abc,\nx.m4s\n')).toBeNull();
  });

  it('parses master playlist variants', () => {
    const master = [
      '#EXTM3U',
      '#EXT-X-STREAM-INF:BANDWIDTH=2800000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2"',
      '720p/index.m3u8',
      '#EXT-X-STREAM-INF:BANDWIDTH=400000,RESOLUTION=426x240,CODECS="avc1.640015,mp4a.40.2"',
      '240p/index.m3u8',
    ].join('\n');
    expect(parseMasterPlaylist(master)).toEqual([
      {
        uri: '720p/index.m3u8',
        bandwidth: 2_800_000,
        resolution: '1280x720',
        codecs: 'avc1.64001f,mp4a.40.2',
      },
      {
        uri: '240p/index.m3u8',
        bandwidth: 400_000,
        resolution: '426x240',
        codecs: 'avc1.640015,mp4a.40.2',
      },
    ]);
  });

  it('resolves URIs and rendition names', () => {
    expect(resolveUri('http://e:1/vod/a/240p/index.m3u8?t=1', 'seg_1.m4s')).toBe(
      'http://e:1/vod/a/240p/seg_1.m4s',
    );
    expect(resolveUri('http://e:1/vod/a/240p/index.m3u8', '/x/y.m4s')).toBe('http://e:1/x/y.m4s');
    expect(resolveUri('http://e:1/a/b.m3u8', 'https://cdn/z.m4s')).toBe('https://cdn/z.m4s');
    expect(renditionOfPlaylistUrl('http://e:1/vod/a/480p/index.m3u8?x')).toBe('480p');
  });
});

describe('playback clock', () => {
  it('extrapolates the playhead and derives deadlines', () => {
    const clock = new PlaybackClock();
    expect(clock.deadlineMs(10, 1_000)).toBe(1_000); // unknown playhead: urgent
    clock.update({ positionSec: 4, rate: 1 }, 1_000);
    expect(clock.positionAt(3_000)).toBe(6);
    expect(clock.deadlineMs(10, 3_000)).toBe(7_000);
    expect(clock.deadlineMs(5, 3_000)).toBe(3_000); // already behind the playhead
    clock.update({ positionSec: 4, rate: 0 }, 1_000); // paused: treated as about to play
    expect(clock.deadlineMs(10, 5_000)).toBe(11_000);
    clock.update({ positionSec: 4, rate: 2 }, 1_000);
    expect(clock.deadlineMs(10, 1_000)).toBe(4_000);
  });
});

describe('start-up hold', () => {
  it('runs what waits for it once, in order, at the first frame or at its bound; never after destroy', async () => {
    const clock = new FakeClock();
    const order: string[] = [];
    const released = new StartupHold(clock, 3_000);
    released.whenReleased(() => order.push('tracker'));
    released.whenReleased(() => order.push('hashes'));
    released.release();
    released.release();
    released.whenReleased(() => order.push('late'));
    expect(released.holding).toBe(false);
    expect(order).toEqual(['tracker', 'hashes', 'late']);

    const timedOut = new StartupHold(clock, 3_000);
    timedOut.whenReleased(() => order.push('bound'));
    await clock.advance(2_999);
    expect(timedOut.holding).toBe(true);
    await clock.advance(1);
    expect(order.at(-1)).toBe('bound');

    const destroyed = new StartupHold(clock, 3_000);
    destroyed.whenReleased(() => order.push('never'));
    destroyed.destroy();
    destroyed.destroy();
    destroyed.release();
    await clock.advance(5_000);
    expect(order).not.toContain('never');
    expect(new StartupHold(clock, 0).holding).toBe(false);
  });

  it('the first frame needs the first segment asked for and the next one, nothing later', () => {
    const clock = new FakeClock();
    const hold = new StartupHold(clock, 3_000);
    expect(hold.needsForFirstFrame(40)).toBe(true);
    expect(hold.needsForFirstFrame(41)).toBe(true);
    expect(hold.needsForFirstFrame(42)).toBe(false);
    // An earlier one (a live player stepping back) is needed; the first stays the mark.
    expect(hold.needsForFirstFrame(39)).toBe(true);
    expect(hold.needsForFirstFrame(42)).toBe(false);
  });
});

describe('upload slots for an uplink cap', () => {
  it.each([
    ['the configured slots on a fast uplink', 6, 20_000_000, 6],
    ['one per Mbit/s below that', 6, 3_000_000, 3],
    ['a partial Mbit/s does not count', 6, 2_999_999, 2],
    ['one on a 1 Mbit/s uplink', 6, 1_000_000, 1],
    ['still one below 1 Mbit/s: it uploads what it can', 6, 300_000, 1],
    ['never more than configured', 2, 100_000_000, 2],
  ])('%s', (_name, configured, capBitsPerSec, expected) => {
    expect(uploadSlotsFor(configured, capBitsPerSec, 1_000_000)).toBe(expected);
  });
  it('the per-upload minimum is the configured one (a simulator scales it with its bytes)', () => {
    expect(uploadSlotsFor(6, 312_500, 15_625)).toBe(6);
    expect(uploadSlotsFor(6, 3_000_000, 500_000)).toBe(6);
    expect(uploadSlotsFor(6, 3_000_000, 1_500_000)).toBe(2);
  });
});

describe('throughput estimate', () => {
  it('starts from its fallback and follows samples, weighting long samples more', () => {
    const estimate = new ThroughputEstimator(1_000);
    expect(estimate.bytesPerSec).toBe(1_000);
    expect(estimate.measured).toBe(false);
    estimate.add(100_000, 1_000);
    expect(estimate.bytesPerSec).toBe(100_000);
    estimate.add(1_000, 1); // a tiny sample barely moves it
    expect(estimate.bytesPerSec).toBeLessThan(200_000);
    estimate.add(10_000, 10_000); // a long slow one does
    expect(estimate.bytesPerSec).toBeLessThan(20_000);
    expect(estimate.projectMs(estimate.bytesPerSec)).toBeCloseTo(1_000, 0);
  });

  it('assumes at most what the peer announced until measured, and never raises its guess', () => {
    const estimate = new ThroughputEstimator(1_000_000);
    estimate.assumeAtMost(125_000);
    expect(estimate.bytesPerSec).toBe(125_000);
    estimate.assumeAtMost(2_000_000);
    expect(estimate.bytesPerSec).toBe(125_000);
    estimate.add(400_000, 1_000); // a measurement is the truth
    expect(estimate.bytesPerSec).toBe(400_000);
  });

  it('announced uplinks: bytes/s of the last announcement, none for 0 or unknown, oldest forgotten', () => {
    const uplinks = new AnnouncedUplinks();
    uplinks.note([
      { peerId: 'a', uploadKbps: 1_000 },
      { peerId: 'b', uploadKbps: 0 },
    ]);
    expect(uplinks.bytesPerSecOf('a')).toBe(125_000);
    expect(uplinks.bytesPerSecOf('b')).toBeNull();
    expect(uplinks.bytesPerSecOf('c')).toBeNull();
    uplinks.note([{ peerId: 'a', uploadKbps: 3_000 }]);
    expect(uplinks.bytesPerSecOf('a')).toBe(375_000);
    const many = Array.from({ length: MAX_ANNOUNCED_UPLINKS }, (_, i) => ({
      peerId: `p${i}`,
      uploadKbps: 10,
    }));
    uplinks.note([{ peerId: 'old', uploadKbps: 10 }]);
    uplinks.note([{ peerId: 'a', uploadKbps: 3_000 }]); // noted again: now among the newest
    uplinks.note(many.slice(0, MAX_ANNOUNCED_UPLINKS - 1));
    expect(uplinks.bytesPerSecOf('old')).toBeNull();
    expect(uplinks.bytesPerSecOf('a')).toBe(375_000);
    expect(uplinks.bytesPerSecOf('p0')).toBe(1_250);
  });

  it('a stall halves the estimate, from the fallback when nothing was measured', () => {
    const fresh = new ThroughputEstimator(1_000);
    fresh.stalled();
    // Not ~0 B/s: a peer whose first transfer stalled is still asked again later.
    expect(fresh.bytesPerSec).toBe(500);
    expect(fresh.measured).toBe(true);
    fresh.stalled();
    expect(fresh.bytesPerSec).toBe(250);
    const measured = new ThroughputEstimator(1_000);
    measured.add(100_000, 1_000);
    measured.stalled();
    expect(measured.bytesPerSec).toBe(50_000);
    measured.add(150_000, 2_000); // a good transfer afterwards pulls it back up
    expect(measured.bytesPerSec).toBe(62_500);
  });
});

describe('token bucket', () => {
  it('allows a burst, then the rate, and says how long to wait', async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket(clock, 1_000, 500);
    expect(bucket.take(500)).toBe(0);
    expect(bucket.take(100)).toBe(100);
    await clock.advance(100);
    expect(bucket.take(100)).toBe(0);
    expect(bucket.take(1_000)).toBe(1_000);
    expect(new TokenBucket(clock, Infinity, 1).take(1e9)).toBe(0);
  });
});

describe('segment store', () => {
  const bytes = (n: number) => new Uint8Array(n);
  const timing = { startedAtMs: 0, firstByteAtMs: 1, endedAtMs: 2 };
  const put = (
    store: SegmentStore,
    sequence: number,
    size: number,
    extra: { prefetched?: boolean; verified?: boolean } = {},
  ) =>
    store.put({
      rendition: 'r',
      sequence,
      bytes: bytes(size),
      source: 'http',
      cdnReason: 'alone',
      timing,
      verified: extra.verified ?? true,
      prefetched: extra.prefetched ?? false,
    });

  it('evicts least recently used first, reporting wasted prefetches', () => {
    const store = new SegmentStore(300);
    const evicted: Array<[number, boolean]> = [];
    store.on('evicted', (segment, wasted) => evicted.push([segment.sequence, wasted]));
    put(store, 1, 100, { prefetched: true });
    put(store, 2, 100, { prefetched: true });
    put(store, 3, 100);
    store.get('r', 1)!.played = true; // touched: now most recent
    put(store, 4, 100);
    expect(evicted).toEqual([[2, true]]);
    put(store, 5, 200);
    expect(evicted).toEqual([
      [2, true],
      [3, false],
      [1, false],
    ]);
    expect(store.totalBytes).toBeLessThanOrEqual(300);
    expect(put(store, 6, 301)).toBeNull();
  });

  it('shares only verified segments and drops a live window tail', () => {
    const store = new SegmentStore(10_000);
    const added: number[] = [];
    store.on('added', (segment) => added.push(segment.sequence));
    put(store, 1, 10);
    put(store, 2, 10, { verified: false });
    put(store, 3, 10);
    expect(added).toEqual([1, 3]);
    expect(store.verifiedSequences('r')).toEqual([1, 3]);
    store.dropBelow('r', 3);
    expect(store.verifiedSequences('r')).toEqual([3]);
  });
});
