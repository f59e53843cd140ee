import type { BeaconStats } from '@coral-cdn/protocol';

/** Failed peer connection set-ups, with none opened, after which a member counts unreachable. */
export const UNREACHABLE_AFTER_FAILURES = 3;

/**
 * Whether a beacon says its viewer cannot be reached by peers: every one of at least
 * `UNREACHABLE_AFTER_FAILURES` set-ups failed and none opened. A beacon that does not say
 * (an older player) counts as reachable. A false claim only keeps its sender out of the
 * election, so the tracker takes it at its word.
 */
export function unreachableByBeacon(stats: BeaconStats): boolean {
  return stats.p2pEligible === false && (stats.peerFailures ?? 0) >= UNREACHABLE_AFTER_FAILURES;
}

/** The counters of a beacon that add up across viewers (what the tracker's metrics sum). */
export const BEACON_COUNTERS = [
  'p2pBytes',
  'httpBytes',
  'uploadedBytes',
  'stalls',
  'stallMs',
  'fallbacks',
  'integrityFailures',
  'prefetchWastedBytes',
  'peerAttempts',
  'peerFailures',
  'relayRefused',
  'pairsHost',
  'pairsSrflx',
  'pairsPrflx',
  'pairsRelay',
  'pairsUnknown',
] as const;
export type BeaconCounter = (typeof BEACON_COUNTERS)[number];

export interface BeaconCaps {
  /** Most bytes per second one viewer can move in any byte counter (download or upload). */
  readonly bytesPerSec: number;
  /** Most stalls, fallbacks, integrity failures or peer connection set-ups per second. */
  readonly eventsPerSec: number;
}

export interface BeaconIncrements {
  readonly increments: Readonly<Record<BeaconCounter, number>>;
  /** Some increment was cut to what the time since the previous beacon allows. */
  readonly clamped: boolean;
}

/**
 * What one beacon adds to the tracker's counters. Beacons carry cumulative counters; the
 * increment is the rise since the previous beacon of the membership (a counter that went
 * down means the player restarted its session: its new value counts). Each increment is
 * capped by what one viewer can do in the time since the previous beacon (or since it
 * joined), so a forged beacon moves at most its own viewer's plausible share of the figures.
 */
export function beaconIncrements(
  previous: BeaconStats | null,
  next: BeaconStats,
  elapsedMs: number,
  caps: BeaconCaps,
): BeaconIncrements {
  const elapsedSec = Math.max(0, elapsedMs) / 1000;
  // One second of slack: beacons are timed by the player, not by the tracker's clock.
  const allowance = (perSec: number) => perSec * (elapsedSec + 1);
  const limit: Record<BeaconCounter, number> = {
    p2pBytes: allowance(caps.bytesPerSec),
    httpBytes: allowance(caps.bytesPerSec),
    uploadedBytes: allowance(caps.bytesPerSec),
    prefetchWastedBytes: allowance(caps.bytesPerSec),
    stalls: allowance(caps.eventsPerSec),
    fallbacks: allowance(caps.eventsPerSec),
    integrityFailures: allowance(caps.eventsPerSec),
    peerAttempts: allowance(caps.eventsPerSec),
    peerFailures: allowance(caps.eventsPerSec),
    relayRefused: allowance(caps.eventsPerSec),
    pairsHost: allowance(caps.eventsPerSec),
    pairsSrflx: allowance(caps.eventsPerSec),
    pairsPrflx: allowance(caps.eventsPerSec),
    pairsRelay: allowance(caps.eventsPerSec),
    pairsUnknown: allowance(caps.eventsPerSec),
    stallMs: Math.max(0, elapsedMs) + 1000,
  };
  let clamped = false;
  const increments = {} as Record<BeaconCounter, number>;
  for (const counter of BEACON_COUNTERS) {
    // Connectivity counters are optional (older players): absent counts as zero.
    const now = next[counter] ?? 0;
    const before = previous?.[counter] ?? 0;
    const rise = now >= before ? now - before : now;
    const capped = Math.min(Math.max(0, rise), limit[counter]);
    if (capped < rise) clamped = true;
    increments[counter] = capped;
  }
  return { increments, clamped };
}
