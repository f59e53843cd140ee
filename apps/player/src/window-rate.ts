/**
 * Moving-window rates from cumulative counters. Players send a beacon every 10 s, so the rate
 * between two one-second readings is zero most of the time and a spike when a beacon lands; a
 * rate over a window of a few beacon periods reads steadily instead.
 */

/** One reading of one source's cumulative counters (one tracker node), at `atMs`. */
export interface CounterReading<K extends string> {
  atMs: number;
  values: Readonly<Record<K, number>>;
}

export interface WindowIncrease<K extends string> {
  /** Time between the two readings the increase spans (≤ the window once it is full). */
  spanMs: number;
  increase: Record<K, number>;
}

/**
 * Each counter's increase over the window `(atMs - windowMs, atMs]`, from one source's readings
 * sorted oldest first. The span starts at the newest reading at or before the window's start
 * (or the oldest reading while the window is not full yet) and ends at the newest reading at or
 * before `atMs`. A counter that went down between two readings started again from zero (the
 * tracker restarted): that step counts its new value. Null without two readings in the span.
 */
export function windowIncrease<K extends string>(
  readings: readonly CounterReading<K>[],
  keys: readonly K[],
  atMs: number,
  windowMs: number,
): WindowIncrease<K> | null {
  if (!(windowMs > 0)) throw new RangeError(`windowMs must be positive, got ${windowMs}`);
  let end = -1;
  for (let i = readings.length - 1; i >= 0; i--) {
    if (readings[i]!.atMs <= atMs) {
      end = i;
      break;
    }
  }
  if (end < 1) return null;
  const startMs = atMs - windowMs;
  let start = 0;
  for (let i = end; i >= 0; i--) {
    if (readings[i]!.atMs <= startMs) {
      start = i;
      break;
    }
  }
  if (start >= end) return null;
  const increase = Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;
  for (let i = start + 1; i <= end; i++) {
    const before = readings[i - 1]!.values;
    const after = readings[i]!.values;
    for (const key of keys) {
      const step = after[key] - before[key];
      increase[key] += step >= 0 ? step : after[key];
    }
  }
  return { spanMs: readings[end]!.atMs - readings[start]!.atMs, increase };
}

/** Per-second rates of each counter over the window (see windowIncrease); null likewise. */
export function windowRatesPerSec<K extends string>(
  readings: readonly CounterReading<K>[],
  keys: readonly K[],
  atMs: number,
  windowMs: number,
): Record<K, number> | null {
  const found = windowIncrease(readings, keys, atMs, windowMs);
  if (!found || found.spanMs <= 0) return null;
  const seconds = found.spanMs / 1000;
  return Object.fromEntries(keys.map((key) => [key, found.increase[key] / seconds])) as Record<
    K,
    number
  >;
}

/**
 * A source's readings after `next` (the newest): back to the newest one at or before the start
 * of a `windowMs` window ending at `next.atMs`, enough for windowIncrease. When the previous
 * reading is older than `staleAfterMs` (nobody asked for figures meanwhile), the old readings go:
 * a rate across that gap would be an average over it, not over the window.
 */
export function appendReading<K extends string>(
  readings: readonly CounterReading<K>[],
  next: CounterReading<K>,
  windowMs: number,
  staleAfterMs: number,
): Array<CounterReading<K>> {
  const previous = readings[readings.length - 1];
  if (previous && next.atMs - previous.atMs > staleAfterMs) return [next];
  const kept = [...readings, next];
  const startMs = next.atMs - windowMs;
  let first = 0;
  while (first + 1 < kept.length && kept[first + 1]!.atMs <= startMs) first++;
  return kept.slice(first);
}
