import type { BeaconStats } from '@coral-cdn/protocol';
import { beaconIncrements, type BeaconCaps } from '@coral-cdn/tracker-core';
import type { TrackerMetrics } from './metrics.js';

/** Longest start-up time a beacon may report (longer ones are recorded as this). */
const MAX_STARTUP_MS = 10 * 60_000;

/** Per-membership memory of the last beacon, so cumulative counters become increments. */
export interface BeaconMemory {
  last: BeaconStats | null;
  /** When the last beacon (or the join) was recorded: increments are capped by the time since. */
  lastAtMs: number;
  startupRecorded: boolean;
}

export function newBeaconMemory(nowMs: number): BeaconMemory {
  return { last: null, lastAtMs: nowMs, startupRecorded: false };
}

/**
 * Fold a beacon's cumulative counters into the node's Prometheus counters: the increase since
 * the previous one, capped by what one viewer can do in the time between (beaconIncrements).
 */
export function recordBeacon(
  memory: BeaconMemory,
  stats: BeaconStats,
  metrics: TrackerMetrics,
  nowMs: number,
  caps: BeaconCaps,
): void {
  const { increments, clamped } = beaconIncrements(
    memory.last,
    stats,
    nowMs - memory.lastAtMs,
    caps,
  );
  metrics.beacons.inc();
  if (clamped) metrics.beaconsClamped.inc();
  metrics.beaconP2pBytes.inc(increments.p2pBytes);
  metrics.beaconHttpBytes.inc(increments.httpBytes);
  metrics.beaconUploadedBytes.inc(increments.uploadedBytes);
  metrics.beaconStalls.inc(increments.stalls);
  metrics.beaconStallSeconds.inc(increments.stallMs / 1000);
  metrics.beaconFallbacks.inc(increments.fallbacks);
  metrics.beaconIntegrityFailures.inc(increments.integrityFailures);
  metrics.beaconPrefetchWastedBytes.inc(increments.prefetchWastedBytes);
  if (!memory.startupRecorded && stats.startupMs !== null) {
    metrics.beaconStartup.observe(Math.min(stats.startupMs, MAX_STARTUP_MS) / 1000);
    memory.startupRecorded = true;
  }
  memory.last = stats;
  memory.lastAtMs = nowMs;
}
