import type { BeaconStats } from '@coral-cdn/protocol';
import type { TrackerMetrics } from './metrics.js';

/** Per-membership memory of the last beacon, so cumulative counters become increments. */
export interface BeaconMemory {
  last: BeaconStats | null;
  startupRecorded: boolean;
}

export function newBeaconMemory(): BeaconMemory {
  return { last: null, startupRecorded: false };
}

/**
 * Fold a beacon's cumulative counters into the node's Prometheus counters. A counter that
 * went down means the player restarted its session: the new value counts in full.
 */
export function recordBeacon(memory: BeaconMemory, stats: BeaconStats, metrics: TrackerMetrics) {
  const previous = memory.last;
  const delta = (pick: (s: BeaconStats) => number) => {
    const now = pick(stats);
    const before = previous ? pick(previous) : 0;
    return now >= before ? now - before : now;
  };
  metrics.beacons.inc();
  metrics.beaconP2pBytes.inc(delta((s) => s.p2pBytes));
  metrics.beaconHttpBytes.inc(delta((s) => s.httpBytes));
  metrics.beaconUploadedBytes.inc(delta((s) => s.uploadedBytes));
  metrics.beaconStalls.inc(delta((s) => s.stalls));
  metrics.beaconStallSeconds.inc(delta((s) => s.stallMs) / 1000);
  metrics.beaconFallbacks.inc(delta((s) => s.fallbacks));
  metrics.beaconIntegrityFailures.inc(delta((s) => s.integrityFailures));
  metrics.beaconPrefetchWastedBytes.inc(delta((s) => s.prefetchWastedBytes));
  if (!memory.startupRecorded && stats.startupMs !== null) {
    metrics.beaconStartup.observe(stats.startupMs / 1000);
    memory.startupRecorded = true;
  }
  memory.last = stats;
}
