import { emptyPairCounts, type PairCounts } from './connectivity.js';
import type { PartStats } from './part-stats.js';

/** The engine's counters: what it reports to the page (`window.coral`), beacons and tests. */
export interface PeerStats {
  peerId: string;
  /** Estimated download throughput from this peer, bytes/s. */
  downloadBytesPerSec: number;
  downloadedBytes: number;
  uploadedBytes: number;
  /** The path's round-trip time as the WebRTC stack measured it, ms (null: not measured). */
  rttMs: number | null;
}

/**
 * Why a segment came from the CDN: the player fetched it itself before its first frame
 * (`startup`: no peer is connected yet then); no peer to ask (`alone`: P2P off, no tracker,
 * no peers);
 * a live fetcher (`elected`: chosen by the tracker's election to fetch first, or no election
 * known while peers are connected); no peer held it early enough to beat
 * its deadline (`deadline`); its signed hash was not known in time (`unsigned`); a peer
 * transfer failed, fell behind or sent bad bytes (`fallback`).
 */
export type CdnReason = 'startup' | 'alone' | 'elected' | 'deadline' | 'unsigned' | 'fallback';

export function emptyCdnReasons(): Record<CdnReason, number> {
  return { startup: 0, alone: 0, elected: 0, deadline: 0, unsigned: 0, fallback: 0 };
}

/**
 * Peer connection set-ups, counted as each ends: it opened (by the selected candidate pair's
 * type), it failed (ICE failed, timed out, or signalling broke), or it opened over a relay the
 * policy does not allow (closed at once). Set-ups abandoned for offer glare or by `destroy()`
 * are not counted. `attempts` is the sum of the three.
 */
export interface PeerConnectionStats {
  attempts: number;
  failed: number;
  relayRefused: number;
  opened: PairCounts;
}

export interface EngineStats {
  /** Segment bytes received over HTTP from the CDN (including prefetches never played). */
  httpBytes: number;
  /** Segment bytes received from peers and verified against the signed hash. */
  p2pBytes: number;
  /** Bytes this peer uploaded to others. */
  uploadedBytes: number;
  segmentsFromHttp: number;
  /** Segments fetched (wholly or in part) from the CDN, by why. */
  cdnReasons: Record<CdnReason, number>;
  segmentsFromP2p: number;
  /** Part from peers, the rest resumed over HTTP with a Range request. */
  segmentsMixed: number;
  /** Player requests served from what was already held. */
  segmentsFromStore: number;
  /** Peer transfers abandoned for HTTP because they would miss the deadline. */
  fallbacks: number;
  /** Peer-delivered segments whose hash did not match (each dropped the peer). */
  integrityFailures: number;
  /**
   * Peer bytes thrown away: they failed verification, came from a peer banned mid-transfer, or
   * a full CDN body replaced them.
   */
  p2pDiscardedBytes: number;
  /** Bytes fetched ahead of the player. */
  prefetchedBytes: number;
  /** Bytes fetched ahead and dropped without being played: waste. */
  prefetchWastedBytes: number;
  /** Segment memory in use, bytes (bounded by segmentMemoryBytes). */
  storedBytes: number;
  storedSegments: number;
  peers: number;
  peerDetails: PeerStats[];
  /** p2pBytes / (httpBytes + p2pBytes), 0..1. */
  offloadRatio: number;
  stalls: number;
  stallMs: number;
  startupMs: number | null;
  trackerConnected: boolean;
  p2pEnabled: boolean;
  peerConnections: PeerConnectionStats;
  /**
   * P2P-eligible: at least one peer connection opened on an allowed path this session. A
   * viewer that tried and never opened one (only a relay would do, or UDP is blocked) plays
   * from the CDN and is not eligible; one that never tried (no other viewer) is neither.
   */
  p2pEligible: boolean;
  /** LL-HLS parts by source (their bytes are also in httpBytes / p2pBytes). */
  parts: PartStats;
}

export class StatsCounters {
  httpBytes = 0;
  p2pBytes = 0;
  uploadedBytes = 0;
  segmentsFromHttp = 0;
  cdnReasons = emptyCdnReasons();
  segmentsFromP2p = 0;
  segmentsMixed = 0;
  segmentsFromStore = 0;
  fallbacks = 0;
  integrityFailures = 0;
  p2pDiscardedBytes = 0;
  prefetchedBytes = 0;
  prefetchWastedBytes = 0;
  stalls = 0;
  stallMs = 0;
  startupMs: number | null = null;
  peerFailures = 0;
  relayRefused = 0;
  pairs = emptyPairCounts();
}

export function peerConnectionStats(counters: StatsCounters): PeerConnectionStats {
  const opened = { ...counters.pairs };
  const openedCount = Object.values(opened).reduce((sum, count) => sum + count, 0);
  return {
    attempts: openedCount + counters.peerFailures + counters.relayRefused,
    failed: counters.peerFailures,
    relayRefused: counters.relayRefused,
    opened,
  };
}
