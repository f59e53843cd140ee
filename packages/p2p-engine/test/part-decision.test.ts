import { describe, expect, it } from 'vitest';
import {
  decidePart,
  latestHttpStartMs,
  MAX_PART_DOWNLOADS_PER_PEER,
  type PartSnapshot,
} from '../src/part-decision.js';

/** A waiter at t=0 whose part is due in 1.5 s, 40 KB, one fast holder with a signed entry. */
function snapshot(overrides: Partial<PartSnapshot> = {}): PartSnapshot {
  return {
    nowMs: 0,
    p2pEnabled: true,
    role: 'waiter',
    deadlineMs: 1500,
    safetyMarginMs: 200,
    forceHttp: false,
    signedSizeBytes: 40_000,
    typicalPartBytes: 40_000,
    holders: [{ peerId: 'a', bytesPerSec: 2_000_000, activeDownloads: 0 }],
    failedPeers: new Set(),
    httpBytesPerSec: 1_000_000,
    ...overrides,
  };
}

describe('decidePart', () => {
  it('p2p off: the CDN', () => {
    expect(decidePart(snapshot({ p2pEnabled: false }))).toEqual({
      kind: 'http',
      reason: 'p2p-off',
    });
  });

  it('alone (no election or no connected peer): the CDN', () => {
    expect(decidePart(snapshot({ role: 'alone' }))).toEqual({ kind: 'http', reason: 'alone' });
  });

  it('fetcher: the CDN at once, even with a holder', () => {
    expect(decidePart(snapshot({ role: 'fetcher' }))).toEqual({ kind: 'http', reason: 'fetcher' });
  });

  it('forced after a failed or bad peer transfer: the CDN', () => {
    expect(decidePart(snapshot({ forceHttp: true }))).toEqual({ kind: 'http', reason: 'forced' });
  });

  it('holder whose transfer fits before the deadline: that peer', () => {
    expect(decidePart(snapshot())).toEqual({ kind: 'peer', peerId: 'a' });
  });

  it('first fitting holder that has not failed this part', () => {
    const holders = [
      { peerId: 'a', bytesPerSec: 2_000_000, activeDownloads: 0 },
      { peerId: 'b', bytesPerSec: 1_000_000, activeDownloads: 0 },
    ];
    expect(decidePart(snapshot({ holders, failedPeers: new Set(['a']) }))).toEqual({
      kind: 'peer',
      peerId: 'b',
    });
  });

  it('busy holder (downloads in flight at the limit) is not asked', () => {
    const holders = [
      { peerId: 'a', bytesPerSec: 2_000_000, activeDownloads: MAX_PART_DOWNLOADS_PER_PEER },
    ];
    expect(decidePart(snapshot({ holders })).kind).toBe('wait');
  });

  it('holders too slow for the deadline: the CDN', () => {
    const holders = [{ peerId: 'a', bytesPerSec: 20_000, activeDownloads: 0 }];
    expect(decidePart(snapshot({ holders }))).toEqual({ kind: 'http', reason: 'too-slow' });
  });

  it('holder without a signed entry: wait, never take unchecked bytes', () => {
    const choice = decidePart(snapshot({ signedSizeBytes: null }));
    expect(choice.kind).toBe('wait');
  });

  it('no holder yet: wait until the CDN would just still make it', () => {
    const s = snapshot({ holders: [] });
    const choice = decidePart(s);
    expect(choice).toEqual({ kind: 'wait', untilMs: latestHttpStartMs(s) });
    // 1500 - 200 - (150 + 40 ms at 1 MB/s)
    expect(latestHttpStartMs(s)).toBe(1110);
  });

  it('no holder and no time left to wait: the CDN', () => {
    expect(decidePart(snapshot({ holders: [], nowMs: 1110 }))).toEqual({
      kind: 'http',
      reason: 'no-holder',
    });
  });
});
