import {
  emptyCdnReasons,
  emptyPairCounts,
  emptyPartStats,
  type EngineStats,
} from '@coral-cdn/p2p-engine';
import type { P2pUnavailableReason } from './browser-platform.js';
import type { DoubleLoadStats } from './double-loads.js';
import type { PlaybackState } from './playback-observer.js';

/** What `CoralHlsIntegration.stats` reports: the engine's counters plus the player's view. */
export interface CoralStats extends EngineStats {
  /**
   * Bytes hls.js fetched over HTTP with its own loader, not through the engine: playlists,
   * init segments, byte ranges, fragments the engine could not serve. With P2P off there is no
   * engine and every byte is counted here or, for media segments, in `httpBytes`.
   */
  passthroughBytes: number;
  passthroughRequests: number;
  /** LL-HLS parts loaded from the CDN (by the engine, or by hls.js when the engine did not). */
  partsFromHttp: number;
  partHttpBytes: number;
  /** LL-HLS parts from peers, each checked against its signed `coral-part/1` entry. */
  partsFromP2p: number;
  partP2pBytes: number;
  /**
   * Media hls.js loaded twice in one rendition: a segment as parts and again whole (or the
   * reverse), a part or a segment twice. Counted with P2P on or off, to compare.
   */
  doubleLoads: DoubleLoadStats;
  /** The rendition hls.js is loading (the media playlist's folder name). */
  rendition: string | null;
  /** The viewer's playback state and buffer, from the media element. */
  playbackState: PlaybackState | 'detached';
  positionSec: number;
  bufferedAheadSec: number;
  /** P2P was asked for but this page cannot do it (then it plays from the CDN only). */
  p2pUnavailable: P2pUnavailableReason | null;
}

/** Engine counters at zero: the shape reported when P2P is off (no engine). */
export function emptyEngineStats(): EngineStats {
  return {
    httpBytes: 0,
    p2pBytes: 0,
    uploadedBytes: 0,
    segmentsFromHttp: 0,
    cdnReasons: emptyCdnReasons(),
    segmentsFromP2p: 0,
    segmentsMixed: 0,
    segmentsFromStore: 0,
    fallbacks: 0,
    integrityFailures: 0,
    p2pDiscardedBytes: 0,
    prefetchedBytes: 0,
    prefetchWastedBytes: 0,
    storedBytes: 0,
    storedSegments: 0,
    peers: 0,
    peerDetails: [],
    offloadRatio: 0,
    stalls: 0,
    stallMs: 0,
    startupMs: null,
    trackerConnected: false,
    p2pEnabled: false,
    peerConnections: { attempts: 0, failed: 0, relayRefused: 0, opened: emptyPairCounts() },
    p2pEligible: false,
    parts: emptyPartStats(),
  };
}
