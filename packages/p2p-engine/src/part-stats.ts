import type { PartCdnReason } from './part-decision.js';

/** LL-HLS parts by source (they also count in the engine's byte totals). */
export interface PartStats {
  fromHttp: number;
  fromP2p: number;
  httpBytes: number;
  p2pBytes: number;
  /** Peer parts that failed their signed hash (the peer was dropped, the CDN served it). */
  integrityFailures: number;
  /** Peer part transfers that failed and were retried elsewhere. */
  peerFallbacks: number;
  cdnReasons: Record<PartCdnReason, number>;
  /** Whole segments made of held parts, checked against the segment's signed entry. */
  segmentsAssembled: number;
  /** Segments whose checked parts did not make the signed segment (never offered to peers). */
  assemblyFailures: number;
}

function emptyPartCdnReasons(): Record<PartCdnReason, number> {
  return { 'p2p-off': 0, alone: 0, fetcher: 0, forced: 0, 'too-slow': 0, 'no-holder': 0 };
}

/** No part yet (a page without the engine reports these). */
export function emptyPartStats(): PartStats {
  return new PartStatsCounters().snapshot();
}

export class PartStatsCounters implements PartStats {
  fromHttp = 0;
  fromP2p = 0;
  httpBytes = 0;
  p2pBytes = 0;
  integrityFailures = 0;
  peerFallbacks = 0;
  cdnReasons = emptyPartCdnReasons();
  segmentsAssembled = 0;
  assemblyFailures = 0;

  snapshot(): PartStats {
    return { ...this, cdnReasons: { ...this.cdnReasons } };
  }
}
