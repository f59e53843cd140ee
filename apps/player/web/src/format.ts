import type { DoubleLoadStats } from '@coral-cdn/hlsjs';

/** Human-readable figures for the overlay. */

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 || value >= 100 ? 0 : 1)} ${units[unit]}`;
}

export function formatBitsPerSec(bitsPerSec: number): string {
  if (!Number.isFinite(bitsPerSec) || bitsPerSec < 0) return '–';
  const units = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s'];
  let value = bitsPerSec;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(unit === 0 || value >= 100 ? 0 : 1)} ${units[unit]}`;
}

export function formatPercent(ratio: number): string {
  if (!Number.isFinite(ratio)) return '–';
  return `${(ratio * 100).toFixed(ratio > 0 && ratio < 0.1 ? 1 : 0)}%`;
}

export function formatMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '–';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Live latency behind the playlist's edge (hls.js's estimate); a dash for VOD. */
export function formatLatencySec(latencySec: number | null): string {
  if (latencySec === null || !Number.isFinite(latencySec) || latencySec < 0) return '–';
  return `${latencySec.toFixed(1)} s`;
}

/** Connections opened by pair type, the kinds seen only: "srflx 3 · relay 1". */
export function pairSummary(opened: Record<string, number>): string {
  const parts = Object.entries(opened)
    .filter(([, count]) => count > 0)
    .map(([pair, count]) => `${pair} ${count}`);
  return parts.length > 0 ? parts.join(' · ') : 'none';
}

/**
 * Media hls.js loaded twice (a segment as parts and whole, a part twice): how many times and
 * the bytes downloaded again, e.g. `3 (120 KiB)`; `0` when none.
 */
export function doubleLoadSummary(doubles: DoubleLoadStats): string {
  const count =
    doubles.segmentsAfterParts +
    doubles.partsAfterSegment +
    doubles.partsTwice +
    doubles.segmentsTwice;
  return count === 0 ? '0' : `${count} (${formatBytes(doubles.downloadedBytes)})`;
}
