import type { LiveRole } from './segment-decision.js';

/**
 * Where an LL-HLS part comes from, as a pure function of what the part loader knows at one
 * instant. A part is small (~0.5 s of media) and wanted within about a second, so the rules are
 * simpler than a segment's: the live fetcher takes it from the CDN at once; any other viewer
 * takes it from a peer holding it when the transfer fits before the part's deadline, waits a
 * little for a holder while there is time, and otherwise goes to the CDN. A part never makes
 * playback worse than CDN-only: every wait is bounded by the time the CDN fetch itself needs.
 */

/** Latency allowances added to throughput projections, ms. */
export const PART_PEER_LATENCY_MS = 60;
export const PART_HTTP_LATENCY_MS = 150;
/** Peer downloads of parts in flight from one peer before another holder is preferred. */
export const MAX_PART_DOWNLOADS_PER_PEER = 2;

export interface PartHolder {
  peerId: string;
  bytesPerSec: number;
  activeDownloads: number;
}

export interface PartSnapshot {
  nowMs: number;
  p2pEnabled: boolean;
  role: LiveRole;
  /** When the player needs the part (its playhead reaches it). */
  deadlineMs: number;
  safetyMarginMs: number;
  /** A peer already failed or sent bad bytes for this part: the CDN serves it. */
  forceHttp: boolean;
  /** The part's checked signed size; null: no signed entry yet (a peer's bytes cannot be checked). */
  signedSizeBytes: number | null;
  /** Size to plan with while the part's own size is unknown. */
  typicalPartBytes: number;
  /** Peers that announced the part, fastest first. */
  holders: readonly PartHolder[];
  failedPeers: ReadonlySet<string>;
  httpBytesPerSec: number;
}

export type PartCdnReason = 'p2p-off' | 'alone' | 'fetcher' | 'forced' | 'too-slow' | 'no-holder';

export type PartChoice =
  | { kind: 'peer'; peerId: string }
  | { kind: 'http'; reason: PartCdnReason }
  | { kind: 'wait'; untilMs: number };

function transferMs(sizeBytes: number, bytesPerSec: number, latencyMs: number): number {
  return latencyMs + (sizeBytes * 1000) / Math.max(bytesPerSec, 1);
}

/** The latest instant a CDN fetch of the part can start and still beat its deadline. */
export function latestHttpStartMs(s: PartSnapshot): number {
  const sizeBytes = s.signedSizeBytes ?? s.typicalPartBytes;
  return (
    s.deadlineMs - s.safetyMarginMs - transferMs(sizeBytes, s.httpBytesPerSec, PART_HTTP_LATENCY_MS)
  );
}

export function decidePart(s: PartSnapshot): PartChoice {
  if (!s.p2pEnabled) return { kind: 'http', reason: 'p2p-off' };
  if (s.role === 'vod' || s.role === 'alone') return { kind: 'http', reason: 'alone' };
  if (s.role === 'fetcher') return { kind: 'http', reason: 'fetcher' };
  if (s.forceHttp) return { kind: 'http', reason: 'forced' };
  const candidates = s.holders.filter(
    (h) => !s.failedPeers.has(h.peerId) && h.activeDownloads < MAX_PART_DOWNLOADS_PER_PEER,
  );
  // A peer's bytes are only taken with the signed entry to check them against.
  if (candidates.length > 0 && s.signedSizeBytes !== null) {
    const size = s.signedSizeBytes;
    const fits = candidates.find(
      (h) =>
        s.nowMs + transferMs(size, h.bytesPerSec, PART_PEER_LATENCY_MS) <=
        s.deadlineMs - s.safetyMarginMs,
    );
    if (fits) return { kind: 'peer', peerId: fits.peerId };
    return { kind: 'http', reason: 'too-slow' };
  }
  // No holder (or no signed entry) yet: wait for the fetcher's announcement while the CDN
  // could still deliver in time.
  const latestMs = latestHttpStartMs(s);
  if (s.nowMs < latestMs) return { kind: 'wait', untilMs: latestMs };
  return { kind: 'http', reason: 'no-holder' };
}
