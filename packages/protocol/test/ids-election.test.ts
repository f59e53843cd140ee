import { describe, expect, it } from 'vitest';
import {
  electedFetchers,
  formatSegmentId,
  formatSwarmId,
  isElectedFetcher,
  parseSegmentId,
  parseSwarmId,
  playbackInfoSchema,
} from '../src/index.js';

describe('segment and swarm ids', () => {
  it('format and parse each other', () => {
    const id = { streamId: 'vod-abc_1', rendition: '720p', sequence: 42 };
    expect(formatSegmentId(id)).toBe('vod-abc_1/720p/42');
    expect(parseSegmentId('vod-abc_1/720p/42')).toEqual({ ok: true, value: id });
    expect(formatSwarmId(id)).toBe('vod-abc_1/720p');
    expect(parseSwarmId('vod-abc_1/720p')).toEqual({
      ok: true,
      value: { streamId: 'vod-abc_1', rendition: '720p' },
    });
  });

  it.each(['', 'a', 'a/b', 'a/b/-1', 'a/b/01', 'a/b/4294967296', '../x/1', 'a/b c/1', 'a/b/1.5'])(
    'rejects segment id %j',
    (text) => {
      expect(parseSegmentId(text).ok).toBe(false);
    },
  );
});

describe('live fetch election', () => {
  const fetchers = ['peer-aaaaaaaa', 'peer-bbbbbbbb', 'peer-cccccccc', 'peer-dddddddd'];

  it('is deterministic and independent of list order', () => {
    const a = electedFetchers({ fetchers, perSegment: 2 }, 'demo/240p', 17);
    const b = electedFetchers(
      { fetchers: [...fetchers].reverse(), perSegment: 2 },
      'demo/240p',
      17,
    );
    expect(a).toEqual(b);
    expect(a).toHaveLength(2);
    expect(isElectedFetcher({ fetchers, perSegment: 2 }, 'demo/240p', 17, a[0]!)).toBe(true);
  });

  it('spreads first fetches evenly across candidates', () => {
    const counts = new Map<string, number>();
    for (let sequence = 0; sequence < 4000; sequence++) {
      const [first] = electedFetchers({ fetchers, perSegment: 1 }, 'demo/240p', sequence);
      counts.set(first!, (counts.get(first!) ?? 0) + 1);
    }
    for (const peerId of fetchers) {
      expect(counts.get(peerId)).toBeGreaterThan(800);
      expect(counts.get(peerId)).toBeLessThan(1200);
    }
  });

  it('moves only the departed fetcher’s segments when one leaves', () => {
    const remaining = fetchers.slice(1);
    for (let sequence = 0; sequence < 500; sequence++) {
      const [before] = electedFetchers({ fetchers, perSegment: 1 }, 'demo/240p', sequence);
      const [after] = electedFetchers(
        { fetchers: remaining, perSegment: 1 },
        'demo/240p',
        sequence,
      );
      if (before !== fetchers[0]) expect(after).toBe(before);
    }
  });

  it('returns nobody for an empty list', () => {
    expect(electedFetchers({ fetchers: [], perSegment: 2 }, 'demo/240p', 1)).toEqual([]);
  });
});

describe('playback info', () => {
  it('accepts the contract fields and rejects a bad public key', () => {
    const info = {
      id: 'abc',
      kind: 'vod',
      manifestUrl: 'http://127.0.0.1:8081/vod/abc/master.m3u8',
      edge: { url: 'http://127.0.0.1:8081', region: 'eu-west' },
      trackerUrl: 'ws://127.0.0.1:8090/ws',
      token: 'x.y.z',
      tokenExpiresAt: '2026-01-01T00:00:00.000Z',
      swarmId: 'abc',
      publicKey: 'A'.repeat(43),
    };
    expect(playbackInfoSchema.safeParse(info).success).toBe(true);
    expect(playbackInfoSchema.safeParse({ ...info, publicKey: 'short' }).success).toBe(false);
  });
});
