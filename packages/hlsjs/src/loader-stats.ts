import type { TransferTiming } from '@coral-cdn/p2p-engine';
import type { LoaderStats } from 'hls.js';

/** A fresh stats object of the shape hls.js's own loaders keep (its `LoadStats`). */
export function createLoaderStats(): LoaderStats {
  return {
    aborted: false,
    loaded: 0,
    retry: 0,
    total: 0,
    chunkCount: 0,
    bwEstimate: 0,
    loading: { start: 0, first: 0, end: 0 },
    parsing: { start: 0, end: 0 },
    buffering: { start: 0, first: 0, end: 0 },
  };
}

/**
 * Report the real transfer of a segment to hls.js: its request, first-byte and end times and
 * its size, so that ABR's bandwidth and TTFB estimates describe how the bytes really moved.
 *
 * A segment answered from memory (fetched ahead, or held for peers) carries the timing of the
 * transfer that fetched it, possibly long ago. Its intervals are kept and shifted to end now:
 * hls.js measures processing time against `loading.start`, and an old start would read as a
 * slow download and push ABR down for no reason.
 */
export function applyTransferTiming(
  stats: LoaderStats,
  timing: TransferTiming,
  sizeBytes: number,
  fromStore: boolean,
  nowMs: number,
): void {
  const firstAfterStartMs = Math.max(0, timing.firstByteAtMs - timing.startedAtMs);
  const endAfterFirstMs = Math.max(0, timing.endedAtMs - timing.firstByteAtMs);
  const endMs = fromStore ? nowMs : Math.min(nowMs, Math.max(timing.endedAtMs, 0));
  const firstMs = endMs - endAfterFirstMs;
  const startMs = firstMs - firstAfterStartMs;
  stats.loading.start = startMs;
  stats.loading.first = firstMs;
  stats.loading.end = endMs;
  stats.loaded = sizeBytes;
  stats.total = sizeBytes;
  stats.chunkCount = Math.max(stats.chunkCount, 1);
  // As hls.js's own loaders compute it: bits over the time from first byte to last.
  stats.bwEstimate = (sizeBytes * 8000) / Math.max(1, endMs - firstMs);
}

/**
 * The transfer hls.js's own loader made, read back from its stats (the inverse of
 * `applyTransferTiming`); times it did not record read as `nowMs`.
 */
export function transferTimingOf(stats: LoaderStats, nowMs: number): TransferTiming {
  const endedAtMs = stats.loading.end || nowMs;
  return {
    startedAtMs: stats.loading.start || endedAtMs,
    firstByteAtMs: stats.loading.first || endedAtMs,
    endedAtMs,
  };
}
