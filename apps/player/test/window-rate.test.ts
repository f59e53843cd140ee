import { describe, expect, it } from 'vitest';
import {
  appendReading,
  windowIncrease,
  windowRatesPerSec,
  type CounterReading,
} from '../src/window-rate.js';

const KEYS = ['bytes'] as const;
const at = (atMs: number, bytes: number): CounterReading<'bytes'> => ({ atMs, values: { bytes } });

describe('moving-window rate', () => {
  // A beacon every 10 s lands 1 MB; the node is read every second.
  const readings = Array.from({ length: 31 }, (_, second) =>
    at(second * 1000, Math.floor(second / 10) * 1_000_000),
  );

  it('spreads a beacon over the window instead of a one-second spike', () => {
    // Between beacons the per-second rate is 0; over 10 s it is one beacon per 10 s.
    expect(windowRatesPerSec(readings, KEYS, 15_000, 1000)).toEqual({ bytes: 0 });
    expect(windowRatesPerSec(readings, KEYS, 15_000, 10_000)).toEqual({ bytes: 100_000 });
    expect(windowRatesPerSec(readings, KEYS, 29_000, 10_000)).toEqual({ bytes: 100_000 });
  });

  it('starts at the newest reading at or before the window start (edges)', () => {
    // Window (10 s, 20 s]: the span is 10 s → 20 s, so the beacon at 20 s is in, the one at 10 s out.
    expect(windowIncrease(readings, KEYS, 20_000, 10_000)).toEqual({
      spanMs: 10_000,
      increase: { bytes: 1_000_000 },
    });
    // At 19.999 s the end is the 19 s reading, the start the 9 s one: the 10 s beacon is in.
    expect(windowIncrease(readings, KEYS, 19_999, 10_000)).toEqual({
      spanMs: 10_000,
      increase: { bytes: 1_000_000 },
    });
    // Sparse readings: the span may exceed the window, never ignore bytes inside it.
    const sparse = [at(0, 0), at(7000, 700), at(16_000, 1600)];
    expect(windowIncrease(sparse, KEYS, 16_000, 5000)).toEqual({
      spanMs: 9000,
      increase: { bytes: 900 },
    });
  });

  it('uses what there is while the window is not full, and null before two readings', () => {
    expect(windowIncrease(readings.slice(0, 12), KEYS, 11_000, 60_000)).toEqual({
      spanMs: 11_000,
      increase: { bytes: 1_000_000 },
    });
    expect(windowIncrease([at(0, 5)], KEYS, 0, 10_000)).toBeNull();
    expect(windowIncrease([], KEYS, 0, 10_000)).toBeNull();
    // Readings after atMs are not used.
    expect(windowIncrease([at(0, 0), at(5000, 10)], KEYS, 4000, 10_000)).toBeNull();
    // Two readings at one instant: no span, no rate.
    expect(windowRatesPerSec([at(1000, 0), at(1000, 10)], KEYS, 1000, 10_000)).toBeNull();
  });

  it('a counter that went down (tracker restarted) counts its new value, not a negative step', () => {
    const restarted = [at(0, 5_000_000), at(5000, 6_000_000), at(10_000, 250_000)];
    expect(windowIncrease(restarted, KEYS, 10_000, 10_000)).toEqual({
      spanMs: 10_000,
      increase: { bytes: 1_250_000 },
    });
    expect(windowRatesPerSec(restarted, KEYS, 10_000, 10_000)).toEqual({ bytes: 125_000 });
  });

  it('refuses a window that is not positive', () => {
    expect(() => windowIncrease(readings, KEYS, 10_000, 0)).toThrow(RangeError);
  });

  it('keeps readings back to the window start, and drops them after a gap in reading', () => {
    let kept: Array<CounterReading<'bytes'>> = [];
    for (let second = 0; second <= 40; second++)
      kept = appendReading(kept, at(second * 1000, second), 30_000, 60_000);
    // 10 s is the newest reading at or before 40 s - 30 s: the window still has its start.
    expect(kept.map((r) => r.atMs / 1000)).toEqual(Array.from({ length: 31 }, (_, i) => i + 10));
    expect(windowIncrease(kept, KEYS, 40_000, 30_000)).toEqual({
      spanMs: 30_000,
      increase: { bytes: 30 },
    });
    // Nobody read for 10 minutes: no rate across the gap, a new window starts.
    kept = appendReading(kept, at(640_000, 1000), 30_000, 60_000);
    expect(kept).toEqual([at(640_000, 1000)]);
    expect(windowIncrease(kept, KEYS, 640_000, 30_000)).toBeNull();
  });
});
