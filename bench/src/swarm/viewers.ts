/** What the benchmark reads of each viewer, whatever runs it (a Chromium page or a werift peer). */

/** Why a viewer went to the CDN for a media segment (the engine's `stats.cdnReasons`). */
export const CDN_REASONS = [
  'startup',
  'alone',
  'elected',
  'deadline',
  'unsigned',
  'fallback',
] as const;
export type CdnReason = (typeof CDN_REASONS)[number];
export type CdnReasonCounts = Record<CdnReason, number>;

/** Any value → counts per reason (missing or non-numeric: 0; P2P off reads as all zero). */
export function cdnReasonCounts(value: unknown): CdnReasonCounts {
  const source = (typeof value === 'object' && value !== null ? value : {}) as Record<
    string,
    unknown
  >;
  const counts = {} as CdnReasonCounts;
  for (const reason of CDN_REASONS) {
    const count = source[reason];
    counts[reason] = typeof count === 'number' ? count : 0;
  }
  return counts;
}

/** One viewer's cumulative counters at one moment (all start at zero when it joins). */
export interface ViewerCounters {
  /** Media segment bytes from the CDN (the engine's `httpBytes`; with P2P off, hls.js's). */
  httpBytes: number;
  /** Verified media segment bytes from peers. */
  p2pBytes: number;
  uploadedBytes: number;
  segmentsFromHttp: number;
  segmentsFromP2p: number;
  segmentsMixed: number;
  /** Segment fetches from the CDN, by why (P2P off: zeros). */
  cdnReasons: CdnReasonCounts;
  /** Peer transfers abandoned for HTTP (deadline). */
  fallbacks: number;
  integrityFailures: number;
  prefetchWastedBytes: number;
  stalls: number;
  stallMs: number;
  /** Null until playback started. */
  startupMs: number | null;
  peers: number;
  trackerConnected: boolean;
  /** Browsers: what hls.js fetched itself (playlists, init segments); null for node peers. */
  passthroughBytes: number | null;
  /** Playhead, seconds (media time). */
  positionSec: number;
  /** Failed to start, or a page error. */
  error: string | null;
}

/** A viewer's counters before it joined (or when it could not be read). */
export function zeroCounters(error: string | null = null): ViewerCounters {
  return {
    httpBytes: 0,
    p2pBytes: 0,
    uploadedBytes: 0,
    segmentsFromHttp: 0,
    segmentsFromP2p: 0,
    segmentsMixed: 0,
    cdnReasons: cdnReasonCounts(null),
    fallbacks: 0,
    integrityFailures: 0,
    prefetchWastedBytes: 0,
    stalls: 0,
    stallMs: 0,
    startupMs: null,
    peers: 0,
    trackerConnected: false,
    passthroughBytes: null,
    positionSec: 0,
    error,
  };
}

/** A media segment a viewer got, stamped with when the benchmark first saw it. */
export interface SegmentArrival {
  sequence: number;
  source: 'http' | 'p2p' | 'mixed';
  /** Why the viewer asked the CDN for it (null: all from peers, or not recorded by the page). */
  cdnReason: CdnReason | null;
  fromStore: boolean;
  sizeBytes: number;
  /** ms since the run started (resolution: the sampling period). */
  seenAtMs: number;
  /**
   * ms since the run started when the engine handed it to hls.js (the page's wall clock, which
   * every page on this machine shares); null when the page did not record it.
   */
  deliveredAtMs: number | null;
  /** Media the player had buffered ahead of its playhead at delivery, s: its margin to a stall. */
  bufferedAheadSec: number | null;
  /** Live: the player's latency behind the playlist's edge at delivery, s. */
  latencySec: number | null;
}

/** Everything kept per viewer for diagnosis (browsers: segments and engine logs). */
export interface ViewerDiagnostics {
  index: number;
  /** ms after the run started that this viewer joined. */
  joinedAtMs: number;
  segments: SegmentArrival[];
  logs: string[];
  peerDetails: unknown;
  console: string[];
  /**
   * Browsers: the page's first HTTP fetches (resource timing, ms since the page's navigation
   * started), e.g. `120-180 /api/playback/x`: where start-up time goes. Empty for node peers.
   */
  pageFetches: PageFetch[];
}

export interface PageFetch {
  path: string;
  startMs: number;
  endMs: number;
}

/** N viewers of one stream: joined one by one, sampled, closed. */
export interface ViewerGroup {
  readonly kind: 'browsers' | 'peers';
  /** Join every viewer, `joinIntervalMs` apart; resolves after the last one joined. */
  join(): Promise<void>;
  /** Every joined viewer's counters now, in join order. */
  sample(): Promise<ViewerCounters[]>;
  /** Per-viewer diagnosis material, read at the end (before close). */
  diagnostics(): Promise<ViewerDiagnostics[]>;
  /** Process ids of node peer processes (for CPU accounting). */
  peerPids(): number[];
  /** CPU seconds the node peer processes used so far (0 for browsers). */
  peersCpuSec(): number;
  /** Idempotent. */
  close(): Promise<void>;
}
