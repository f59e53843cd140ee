import type { BeaconStats } from '@coral-cdn/protocol';
import { beaconIncrements, type BeaconCaps, type BeaconCounter } from '@coral-cdn/tracker-core';
import type { TrackerMetrics } from './metrics.js';

/** Longest start-up time a beacon may report (longer ones are recorded as this). */
const MAX_STARTUP_MS = 10 * 60_000;

/** Candidate pair types a peer connection can open on (`unknown`: the player could not tell). */
export const PAIR_LABELS = ['host', 'srflx', 'prflx', 'relay', 'unknown'] as const;
export type PairLabel = (typeof PAIR_LABELS)[number];

const PAIR_COUNTERS: Record<PairLabel, BeaconCounter> = {
  host: 'pairsHost',
  srflx: 'pairsSrflx',
  prflx: 'pairsPrflx',
  relay: 'pairsRelay',
  unknown: 'pairsUnknown',
};

/** One membership's connectivity so far: the sum of its capped increments. */
export interface ConnectivityTotals {
  attempts: number;
  failed: number;
  relayRefused: number;
  opened: Record<PairLabel, number>;
}

/** Per-membership memory of the last beacon, so cumulative counters become increments. */
export interface BeaconMemory {
  last: BeaconStats | null;
  connectivity: ConnectivityTotals;
  /** Bytes this membership took from the CDN and from peers: the sum of its capped increments. */
  delivered: { httpBytes: number; p2pBytes: number };
  /** The last beacon's P2P eligibility (null: none said). */
  eligible: boolean | null;
  /** When the last beacon (or the join) was recorded: increments are capped by the time since. */
  lastAtMs: number;
  startupRecorded: boolean;
}

export function newBeaconMemory(nowMs: number): BeaconMemory {
  return {
    last: null,
    lastAtMs: nowMs,
    startupRecorded: false,
    connectivity: emptyConnectivity(),
    delivered: { httpBytes: 0, p2pBytes: 0 },
    eligible: null,
  };
}

export function emptyConnectivity(): ConnectivityTotals {
  return {
    attempts: 0,
    failed: 0,
    relayRefused: 0,
    opened: { host: 0, srflx: 0, prflx: 0, relay: 0, unknown: 0 },
  };
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
  metrics.beaconPeerAttempts.inc(increments.peerAttempts);
  metrics.beaconPeerFailures.inc(increments.peerFailures);
  metrics.beaconRelayRefused.inc(increments.relayRefused);
  memory.delivered.httpBytes += increments.httpBytes;
  memory.delivered.p2pBytes += increments.p2pBytes;
  const totals = memory.connectivity;
  totals.attempts += increments.peerAttempts;
  totals.failed += increments.peerFailures;
  totals.relayRefused += increments.relayRefused;
  for (const pair of PAIR_LABELS) {
    const opened = increments[PAIR_COUNTERS[pair]];
    metrics.beaconPeerConnections.inc({ pair }, opened);
    totals.opened[pair] += opened;
  }
  if (stats.p2pEligible !== undefined) memory.eligible = stats.p2pEligible;
  if (!memory.startupRecorded && stats.startupMs !== null) {
    metrics.beaconStartup.observe(Math.min(stats.startupMs, MAX_STARTUP_MS) / 1000);
    memory.startupRecorded = true;
  }
  memory.last = stats;
  memory.lastAtMs = nowMs;
}

/**
 * What a group of memberships (one swarm's on this node, or all of them) says about
 * connectivity: viewers that tried a peer connection, the eligible ones among them (a peer
 * connection opened on an allowed path), and connections opened by pair type. A viewer with
 * nobody to try counts in neither, so the share is of viewers who could have been eligible.
 */
export interface ConnectivitySummary {
  viewers: number;
  tried: number;
  eligible: number;
  opened: Record<PairLabel, number>;
}

export function summarizeConnectivity(memories: Iterable<BeaconMemory>): ConnectivitySummary {
  const summary: ConnectivitySummary = {
    viewers: 0,
    tried: 0,
    eligible: 0,
    opened: { host: 0, srflx: 0, prflx: 0, relay: 0, unknown: 0 },
  };
  for (const memory of memories) {
    summary.viewers++;
    const totals = memory.connectivity;
    if (totals.attempts > 0) {
      summary.tried++;
      if (memory.eligible === true) summary.eligible++;
    }
    for (const pair of PAIR_LABELS) summary.opened[pair] += totals.opened[pair];
  }
  return summary;
}

/** What a group of memberships took from the CDN and from peers, and the share from peers. */
export interface DeliverySummary {
  httpBytes: number;
  p2pBytes: number;
  /** p2p / (http + p2p); null before any byte. */
  offloadRatio: number | null;
}

export function summarizeDelivery(memories: Iterable<BeaconMemory>): DeliverySummary {
  let httpBytes = 0;
  let p2pBytes = 0;
  for (const memory of memories) {
    httpBytes += memory.delivered.httpBytes;
    p2pBytes += memory.delivered.p2pBytes;
  }
  const total = httpBytes + p2pBytes;
  return { httpBytes, p2pBytes, offloadRatio: total > 0 ? p2pBytes / total : null };
}
