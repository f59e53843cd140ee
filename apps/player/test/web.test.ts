import { describe, expect, it } from 'vitest';
import {
  doubleLoadSummary,
  formatBitsPerSec,
  formatBytes,
  formatLatencySec,
  formatMs,
  formatPercent,
  pairSummary,
} from '../web/src/format.js';
import { StatsHistory } from '../web/src/history.js';
import { llLatencySettings } from '../web/src/ll-latency.js';
import {
  P2P_STORAGE_KEY,
  readSettings,
  viewerP2pChoice,
  type StorageLike,
} from '../web/src/settings.js';

function memoryStorage(
  initial: Record<string, string> = {},
): StorageLike & { data: Record<string, string> } {
  const data = { ...initial };
  return {
    data,
    getItem: (key) => data[key] ?? null,
    setItem: (key, value) => {
      data[key] = value;
    },
  };
}

describe('page settings', () => {
  it('P2P: the URL wins and is remembered, then the stored choice, then the operator default', () => {
    const storage = memoryStorage();
    expect(readSettings('', storage, true).p2p).toBe(true);
    expect(readSettings('', storage, false).p2p).toBe(false);
    expect(readSettings('?p2p=0', storage, true).p2p).toBe(false);
    expect(storage.data[P2P_STORAGE_KEY]).toBe('0');
    expect(readSettings('', storage, true).p2p).toBe(false);
    expect(readSettings('?p2p=on', storage, false).p2p).toBe(true);
    expect(readSettings('?p2p=garbage', storage, false).p2p).toBe(true);
  });

  it("the viewer's own P2P choice (URL, then stored) is known without the operator default", () => {
    const storage = memoryStorage();
    expect(viewerP2pChoice('', storage)).toBeNull();
    expect(viewerP2pChoice('', null)).toBeNull();
    expect(viewerP2pChoice('?p2p=garbage', storage)).toBeNull();
    expect(viewerP2pChoice('?p2p=1', storage)).toBe(true);
    // Reading does not remember: `readSettings` does.
    expect(storage.data[P2P_STORAGE_KEY]).toBeUndefined();
    storage.setItem(P2P_STORAGE_KEY, '0');
    expect(viewerP2pChoice('', storage)).toBe(false);
    expect(viewerP2pChoice('?p2p=on', storage)).toBe(true);
    const broken: StorageLike = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => undefined,
    };
    expect(viewerP2pChoice('', broken)).toBeNull();
  });

  it('a disabled storage falls back to the default', () => {
    const broken: StorageLike = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('SecurityError');
      },
    };
    expect(readSettings('?p2p=1', broken, false).p2p).toBe(true);
    expect(readSettings('', broken, false).p2p).toBe(false);
  });

  it('stream id, region and height cap are read and checked', () => {
    expect(readSettings('?id=live-demo&region=us-east&maxHeight=240', null, true)).toEqual({
      id: 'live-demo',
      p2p: true,
      region: 'us-east',
      maxHeight: 240,
      src: null,
      bufferSec: null,
      liveSyncSegments: null,
    });
    // The origin names uploads with random base64url ids: any of them may start with - or _.
    expect(readSettings('?id=-Xr4_kq9', null, true).id).toBe('-Xr4_kq9');
    expect(readSettings('?id=_b3Kx', null, true).id).toBe('_b3Kx');
    expect(readSettings('?id=../../etc&region=US EAST&maxHeight=-3', null, true)).toEqual({
      id: 'demo',
      p2p: true,
      region: null,
      maxHeight: null,
      src: null,
      bufferSec: null,
      liveSyncSegments: null,
    });
  });

  it('a buffer target is taken in whole or fractional seconds from 1 to 600', () => {
    expect(readSettings('?bufferSec=12', null, true).bufferSec).toBe(12);
    expect(readSettings('?bufferSec=1.5', null, false).bufferSec).toBe(1.5);
    expect(readSettings('?bufferSec=600', null, false).bufferSec).toBe(600);
    for (const bad of ['0', '0.5', '601', '-4', 'x', '', 'Infinity'])
      expect(readSettings(`?bufferSec=${bad}`, null, true).bufferSec).toBeNull();
    expect(readSettings('', null, true).bufferSec).toBeNull();
  });

  it('a live hold-back is taken in whole segments from 1 to 10', () => {
    expect(readSettings('?liveSyncSegments=4', null, true).liveSyncSegments).toBe(4);
    expect(readSettings('?liveSyncSegments=10', null, false).liveSyncSegments).toBe(10);
    for (const bad of ['0', '2.5', '11', '-1', 'x', ''])
      expect(readSettings(`?liveSyncSegments=${bad}`, null, true).liveSyncSegments).toBeNull();
    expect(readSettings('', null, true).liveSyncSegments).toBeNull();
  });

  it('a manifest URL to start on at once is taken only as an http(s) URL', () => {
    const src = 'https://edge.example/vod/demo/master.m3u8';
    expect(readSettings(`?src=${encodeURIComponent(src)}`, null, true).src).toBe(src);
    expect(readSettings('?src=http://127.0.0.1:8080/live/a/master.m3u8', null, true).src).toBe(
      'http://127.0.0.1:8080/live/a/master.m3u8',
    );
    expect(readSettings('?src=javascript:alert(1)', null, true).src).toBeNull();
    expect(readSettings('?src=/relative.m3u8', null, true).src).toBeNull();
    expect(readSettings('', null, true).src).toBeNull();
  });
});

describe('stats history', () => {
  it('turns byte counters sampled over time into bit rates', () => {
    const history = new StatsHistory(10);
    history.push({ atMs: 0, httpBytes: 0, p2pBytes: 0, uploadedBytes: 0, peers: 0 });
    history.push({ atMs: 1000, httpBytes: 125_000, p2pBytes: 0, uploadedBytes: 0, peers: 1 });
    history.push({
      atMs: 3000,
      httpBytes: 125_000,
      p2pBytes: 500_000,
      uploadedBytes: 250_000,
      peers: 2,
    });
    expect(history.rates()).toEqual([
      { atMs: 1000, httpBitsPerSec: 1_000_000, p2pBitsPerSec: 0, uploadBitsPerSec: 0, peers: 1 },
      {
        atMs: 3000,
        httpBitsPerSec: 0,
        p2pBitsPerSec: 2_000_000,
        uploadBitsPerSec: 1_000_000,
        peers: 2,
      },
    ]);
    expect(history.latest().p2pBitsPerSec).toBe(2_000_000);
  });

  it('current rates over a moving window read steadily between bursts', () => {
    const history = new StatsHistory(20);
    // A 250 kB segment every 2 s, sampled every second.
    for (let second = 0; second <= 11; second++)
      history.push({
        atMs: second * 1000,
        httpBytes: Math.floor(second / 2) * 250_000,
        p2pBytes: 0,
        uploadedBytes: 0,
        peers: 0,
      });
    // Between two segments the one-second rate is 0; over 10 s it is 1 Mbit/s.
    expect(history.latest().httpBitsPerSec).toBe(0);
    expect(history.windowed(10_000).httpBitsPerSec).toBe(1_000_000);
    expect(new StatsHistory(5).windowed(10_000)).toMatchObject({ httpBitsPerSec: 0, atMs: 0 });
  });

  it('keeps a bounded window, and starts over when counters go down (a new session)', () => {
    const history = new StatsHistory(3);
    for (let i = 0; i < 5; i++)
      history.push({ atMs: i * 1000, httpBytes: i * 10, p2pBytes: 0, uploadedBytes: 0, peers: 0 });
    expect(history.all.map((s) => s.atMs)).toEqual([2000, 3000, 4000]);
    history.push({ atMs: 5000, httpBytes: 0, p2pBytes: 0, uploadedBytes: 0, peers: 0 });
    expect(history.all).toHaveLength(1);
    expect(history.rates()).toEqual([]);
    expect(history.latest()).toMatchObject({ httpBitsPerSec: 0, p2pBitsPerSec: 0 });
  });
});

describe('overlay figures', () => {
  it('formats bytes, rates, ratios and durations', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(300 * 1024 * 1024)).toBe('300 MiB');
    expect(formatBitsPerSec(2_500_000)).toBe('2.5 Mbit/s');
    expect(formatPercent(0.756)).toBe('76%');
    expect(formatPercent(0.004)).toBe('0.4%');
    expect(formatMs(850)).toBe('850 ms');
    expect(formatMs(2345)).toBe('2.3 s');
    expect(formatMs(null)).toBe('–');
    expect(formatLatencySec(2.345)).toBe('2.3 s');
    expect(formatLatencySec(null)).toBe('–');
    expect(formatLatencySec(Number.NaN)).toBe('–');
  });

  it('sums up connections by pair type, the kinds seen only', () => {
    expect(pairSummary({ host: 0, srflx: 3, prflx: 0, relay: 1, unknown: 0 })).toBe(
      'srflx 3 · relay 1',
    );
    expect(pairSummary({ host: 0, srflx: 0, prflx: 0, relay: 0, unknown: 0 })).toBe('none');
  });

  it('sums up LL media loaded twice: every kind, and the bytes downloaded again', () => {
    const none = {
      segmentsAfterParts: 0,
      partsAfterSegment: 0,
      partsTwice: 0,
      segmentsTwice: 0,
      downloadedBytes: 0,
    };
    expect(doubleLoadSummary(none)).toBe('0');
    expect(
      doubleLoadSummary({
        segmentsAfterParts: 1,
        partsAfterSegment: 1,
        partsTwice: 2,
        segmentsTwice: 1,
        downloadedBytes: 1536,
      }),
    ).toBe('5 (1.5 KiB)');
  });
});

describe('LL-HLS latency settings for hls.js', () => {
  // hls.js 1.6's latency controller: a faster rate while latency - target is below
  // min(maxLatency, target + targetDuration); a jump to the edge once latency > maxLatency.
  const caughtUp = (latencySec: number, targetSec: number, targetDurationSec: number) => {
    const { liveMaxLatencyDurationSec: maxSec } = llLatencySettings(targetSec, targetDurationSec);
    const speedsUp = latencySec - targetSec < Math.min(maxSec, targetSec + targetDurationSec);
    return speedsUp || latencySec > maxSec;
  };

  it('leaves no latency at which a late viewer neither speeds up nor jumps', () => {
    for (const [partHoldBackSec, targetDurationSec] of [
      [1.6, 2],
      [1, 4],
      [3, 6],
    ] as const) {
      for (let latencySec = partHoldBackSec; latencySec < 20; latencySec += 0.05) {
        expect(caughtUp(latencySec, partHoldBackSec, targetDurationSec), `${latencySec} s`).toBe(
          true,
        );
      }
    }
  });

  it('jumps only beyond the catch-up range (6.2 s behind a 1.6 s target with 2 s segments)', () => {
    const settings = llLatencySettings(1.6, 2);
    expect(settings.liveMaxLatencyDurationSec).toBeCloseTo(5.2);
    expect(settings.liveMaxLatencyDurationSec).toBeLessThan(6.2);
    expect(settings.maxLiveSyncPlaybackRate).toBeGreaterThan(1);
  });
});
