import { describe, expect, it } from 'vitest';
import {
  playedAsParts,
  prefetchHorizonSec,
  prefetchVerdict,
  type PrefetchCandidate,
  type PrefetchVerdict,
} from '../src/prefetch-plan.js';
import { MAX_DOWNLOADS_PER_PEER, PEER_REQUEST_LATENCY_MS } from '../src/segment-decision.js';

/**
 * One table per rule of prefetch planning, named after the rule. Base: at 10 s, a VOD segment
 * due at 20 s, 1 s margin (9 s of slack), 100 KB signed, one prefetch running of 2 allowed.
 */
const base: PrefetchCandidate = {
  role: 'vod',
  playedAsParts: false,
  runningPeerPrefetches: 1,
  prefetchConcurrency: 2,
  signedSizeBytes: 100_000,
  holders: [{ peerId: 'a', bytesPerSec: 1_000_000, activeDownloads: 0, rttMs: null }],
  nowMs: 10_000,
  deadlineMs: 20_000,
  safetyMarginMs: 1_000,
};

type Row = [name: string, changes: Partial<PrefetchCandidate>, expected: PrefetchVerdict];

function table(rows: Row[]) {
  it.each(rows)('%s', (_name, changes, expected) => {
    expect(prefetchVerdict({ ...base, ...changes })).toBe(expected);
  });
}

describe('prefetch planning', () => {
  describe('an elected fetcher takes a new live segment from the CDN at once', () => {
    table([
      [
        'fetcher, even with no holder and no hash',
        { role: 'fetcher', holders: [], signedSizeBytes: null },
        'cdn',
      ],
      [
        'fetcher, even at the concurrency limit',
        { role: 'fetcher', runningPeerPrefetches: 2 },
        'cdn',
      ],
      ['a waiter with a holder: from the peer', { role: 'waiter' }, 'peer'],
    ]);
  });

  describe('prefetchConcurrency bounds the peer prefetches running at once', () => {
    table([
      ['one below the limit: starts', { runningPeerPrefetches: 1 }, 'peer'],
      ['at the limit: waits', { runningPeerPrefetches: 2 }, 'skip'],
      [
        'a limit of 0 disables peer prefetch',
        { runningPeerPrefetches: 0, prefetchConcurrency: 0 },
        'skip',
      ],
    ]);
  });

  describe('only a segment with a signed hash is prefetched from peers', () => {
    table([['no hash: not yet', { signedSizeBytes: null }, 'skip']]);
  });

  describe('only a segment some peer holds is prefetched', () => {
    table([['no holder', { holders: [] }, 'skip']]);
  });

  describe('the prefetch safety margin: a holder must beat the deadline minus the margin, request latency included', () => {
    // At 100 KB/s, N bytes take N/100 ms.
    const slow = [{ peerId: 's', bytesPerSec: 100_000, activeDownloads: 0, rttMs: null }];
    const fits = (9_000 - PEER_REQUEST_LATENCY_MS) * 100 - 10;
    table([
      ['just inside', { holders: slow, signedSizeBytes: fits }, 'peer'],
      [
        'exactly at the slack with the latency: skip',
        { holders: slow, signedSizeBytes: fits + 10 },
        'skip',
      ],
      [
        '10 ms more margin: skip',
        { holders: slow, signedSizeBytes: fits, safetyMarginMs: 1_010 },
        'skip',
      ],
      [
        'the clock counts: 10 ms later, skip',
        { holders: slow, signedSizeBytes: fits, nowMs: 10_010 },
        'skip',
      ],
    ]);
  });

  describe(`the fastest holder with fewer than ${MAX_DOWNLOADS_PER_PEER} downloads is judged`, () => {
    const busyFast = {
      peerId: 'busy',
      bytesPerSec: 10_000_000,
      activeDownloads: MAX_DOWNLOADS_PER_PEER,
      rttMs: null,
    };
    const freeSlow = { peerId: 'free', bytesPerSec: 1_000, activeDownloads: 0, rttMs: null };
    table([
      [
        'a busy fast holder yields to a free one too slow: skip',
        { holders: [busyFast, freeSlow] },
        'skip',
      ],
      [
        'a free fast holder: peer',
        { holders: [{ ...busyFast, activeDownloads: MAX_DOWNLOADS_PER_PEER - 1 }, freeSlow] },
        'peer',
      ],
    ]);
  });

  describe('a segment played as LL parts is never prefetched whole: its parts are its one copy', () => {
    table([
      ['fetcher: skip', { playedAsParts: true, role: 'fetcher' }, 'skip'],
      ['waiter with a holder in time: skip', { playedAsParts: true, role: 'waiter' }, 'skip'],
    ]);
    it('played as parts: at or after the oldest segment of which parts are held', () => {
      expect(playedAsParts([], 7)).toBe(false);
      expect(playedAsParts([7, 8], 6)).toBe(false);
      expect(playedAsParts([7, 8], 7)).toBe(true);
      expect(playedAsParts([8, 7], 9)).toBe(true);
    });
  });

  it('the horizon: a live window whole, a VOD prefetchAheadSec past the playhead', () => {
    expect(prefetchHorizonSec(true, 30, 20)).toBe(Infinity);
    expect(prefetchHorizonSec(false, 30, 20)).toBe(50);
  });
});
