import { REGION_PATTERN, STREAM_ID_PATTERN, type ConnectionType } from '@coral-cdn/protocol';
import { EngineError } from './errors.js';

/** What the engine needs to know about the stream (from the origin's playback API). */
export interface StreamConfig {
  /** The playback API's `swarmId`; tracker swarms are `<streamId>/<rendition>`. */
  streamId: string;
  trackerUrl: string;
  /** Viewer token for the tracker. */
  token: string;
  /**
   * A fresh viewer token (e.g. from the playback API again): called when the tracker refuses
   * the current one (expired), so that a long session can rejoin after a reconnect.
   */
  refreshToken?: () => Promise<string>;
  /** base64url raw Ed25519 key that signs the integrity manifests. */
  publicKey: string;
}

export interface EngineConfig {
  /** Off: every segment comes over HTTP and nothing connects to the tracker or to peers. */
  p2pEnabled: boolean;
  /** Verify every peer-delivered segment against the origin's signed SHA-256 (keep it on). */
  integrityEnabled: boolean;
  region: string;
  connectionType: ConnectionType;
  /** Upload capacity announced to the tracker, kbit/s. */
  announcedUploadKbps: number;
  /** Hard cap on what this peer uploads, bit/s (token bucket). */
  uploadCapBitsPerSec: number;
  /** Uploads served at once, across all peers. */
  uploadSlots: number;
  /**
   * Each upload served at once should get at least this much of `uploadCapBitsPerSec`, bit/s:
   * fewer slots on a smaller cap (`uploadSlotsFor`), at least one.
   */
  minUploadSlotBitsPerSec: number;
  /** Uploads served at once to any one peer, so that one peer cannot hold every slot. */
  maxUploadsPerPeer: number;
  /**
   * REQUEST and CANCEL frames accepted from one peer per second (burst: twice that). Over it a
   * REQUEST is answered busy; a peer that goes on sending is dropped and reported.
   */
  peerRequestsPerSec: number;
  /**
   * HAVE and BITFIELD frames accepted from one peer per second (burst: twice that); over it they
   * are ignored, and a peer that goes on sending is dropped and reported.
   */
  peerHoldingFramesPerSec: number;
  /** Peers to keep connected, and the most ever connected. */
  targetPeers: number;
  maxPeers: number;
  /** Verified segments kept for playback and sharing, bytes (LRU). */
  segmentMemoryBytes: number;
  /**
   * A peer download must be projected to end this long before the segment's deadline to be
   * started; a running one is kept closer to the deadline (see `cdnFallbackGuardMs`).
   */
  safetyMarginMs: number;
  /**
   * A running peer transfer is given up only when the CDN could no longer deliver the rest in
   * time: its margin before the deadline is the projected CDN fetch of the remaining bytes plus
   * this guard, and never more than `safetyMarginMs`.
   */
  cdnFallbackGuardMs: number;
  /** VOD: how far ahead of the playhead to prefetch from peers, seconds. */
  prefetchAheadSec: number;
  /** Peer downloads in flight at once for prefetching. */
  prefetchConcurrency: number;
  /** Throughput assumed for a peer before any measurement, bytes/s. */
  initialPeerThroughputBytesPerSec: number;
  /** Throughput assumed for HTTP before any measurement, bytes/s. */
  initialHttpThroughputBytesPerSec: number;
  /** A peer transfer with no bytes for this long is abandoned. */
  peerStallTimeoutMs: number;
  /**
   * Hard limit on any one peer transfer (prefetches too), whatever its progress: a peer that
   * drip-feeds bytes just under the stall timeout is given up at this point and counted as a
   * refusal; the segment then comes from another peer or the CDN. Above `prefetchAheadSec`, so
   * that an honest but slow uplink finishing a useful prefetch is not cut.
   */
  peerTransferDeadlineMs: number;
  /**
   * A peer that refuses (not held, or misses the transfer deadline) this many segments it
   * announced is dropped and reported; each refusal before that also lowers its throughput
   * estimate, so it is asked less.
   */
  peerMaxRefusals: number;
  /**
   * WebRTC connection set-up must finish within this: an ICE attempt that cannot succeed
   * (symmetric NATs, UDP blocked) is given up quickly, and the viewer plays from the CDN.
   */
  peerConnectTimeoutMs: number;
  /**
   * Peer traffic may go through a TURN relay (the playback info's `relayAllowed`). Off: relay
   * candidates are neither sent nor accepted, and a connection that still lands on a relayed
   * pair is closed; a viewer that can only relay plays from the CDN.
   */
  relayAllowed: boolean;
  /**
   * Until the first frame, at most this long, the engine stays off the network: no tracker
   * connection, no integrity manifest, no WebRTC set-up. Start-up segments come from the CDN
   * anyway, and all of that would compete with them for the CPU and the link. 0: at once.
   */
  connectHoldMaxMs: number;
  /**
   * Data channel message size (frames are chunked to it). A receiver sees nothing of a message
   * until all of it arrived; 16 KiB ones were tried on the emulated internet (docs) and won
   * some live rounds, lost VOD on werift and did not move the medians, so 64 KiB stays.
   */
  maxMessageBytes: number;
  /**
   * Stop sending while the channel buffers more than this; resume below the low mark. What a
   * channel has queued goes out even after the receiver cancels, ahead of its next transfer:
   * browsers queue one message at a time (0), so a cancel strands at most one message.
   */
  bufferedHighWaterBytes: number;
  bufferedLowWaterBytes: number;
  /** Tracker reconnect back-off bounds. */
  trackerReconnectMinMs: number;
  trackerReconnectMaxMs: number;
  /** How often QoE/offload beacons go to the tracker (0: never). */
  beaconIntervalMs: number;
  /** Live, elected fetchers: poll the media playlist this often to see new segments early (0: off). */
  livePlaylistPollMs: number;
  /** How often peer lists are refreshed when below `targetPeers`. */
  peerRefreshIntervalMs: number;
}

export const defaultEngineConfig: EngineConfig = {
  p2pEnabled: true,
  integrityEnabled: true,
  region: 'unknown',
  connectionType: 'unknown',
  announcedUploadKbps: 5_000,
  uploadCapBitsPerSec: 20_000_000,
  uploadSlots: 6,
  // A 2 s segment of a stream up to about 1 Mbit/s still moves within its own duration.
  minUploadSlotBitsPerSec: 1_000_000,
  maxUploadsPerPeer: 2,
  peerRequestsPerSec: 20,
  peerHoldingFramesPerSec: 20,
  targetPeers: 6,
  maxPeers: 12,
  segmentMemoryBytes: 96 * 1024 * 1024,
  safetyMarginMs: 1_500,
  cdnFallbackGuardMs: 500,
  prefetchAheadSec: 40,
  prefetchConcurrency: 2,
  initialPeerThroughputBytesPerSec: 1024 * 1024,
  initialHttpThroughputBytesPerSec: 2 * 1024 * 1024,
  peerStallTimeoutMs: 4_000,
  peerTransferDeadlineMs: 60_000,
  peerMaxRefusals: 3,
  peerConnectTimeoutMs: 5_000,
  relayAllowed: false,
  connectHoldMaxMs: 3_000,
  maxMessageBytes: 64 * 1024,
  bufferedHighWaterBytes: 0,
  bufferedLowWaterBytes: 0,
  trackerReconnectMinMs: 1_000,
  trackerReconnectMaxMs: 30_000,
  beaconIntervalMs: 10_000,
  livePlaylistPollMs: 500,
  peerRefreshIntervalMs: 5_000,
};

/** Merge overrides onto the defaults and check them; throws EngineError('config') naming the field. */
export function resolveEngineConfig(overrides: Partial<EngineConfig> = {}): EngineConfig {
  const config: EngineConfig = { ...defaultEngineConfig, ...overrides };
  const positive: Array<keyof EngineConfig> = [
    'uploadSlots',
    'minUploadSlotBitsPerSec',
    'maxUploadsPerPeer',
    'peerRequestsPerSec',
    'peerHoldingFramesPerSec',
    'maxPeers',
    'segmentMemoryBytes',
    'initialPeerThroughputBytesPerSec',
    'initialHttpThroughputBytesPerSec',
    'peerStallTimeoutMs',
    'peerTransferDeadlineMs',
    'peerMaxRefusals',
    'peerConnectTimeoutMs',
    'trackerReconnectMinMs',
    'trackerReconnectMaxMs',
    'prefetchConcurrency',
    'peerRefreshIntervalMs',
  ];
  for (const key of positive) {
    const value = config[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new EngineError('config', `${key} must be a positive number, got ${String(value)}`);
    }
  }
  const nonNegative: Array<keyof EngineConfig> = [
    'announcedUploadKbps',
    'uploadCapBitsPerSec',
    'targetPeers',
    'safetyMarginMs',
    'cdnFallbackGuardMs',
    'prefetchAheadSec',
    'bufferedHighWaterBytes',
    'bufferedLowWaterBytes',
    'beaconIntervalMs',
    'livePlaylistPollMs',
    'connectHoldMaxMs',
  ];
  for (const key of nonNegative) {
    const value = config[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new EngineError('config', `${key} must be a number >= 0, got ${String(value)}`);
    }
  }
  if (config.targetPeers > config.maxPeers) {
    throw new EngineError(
      'config',
      `targetPeers (${config.targetPeers}) exceeds maxPeers (${config.maxPeers})`,
    );
  }
  if (config.maxMessageBytes < 1024 || config.maxMessageBytes > 256 * 1024) {
    throw new EngineError('config', 'maxMessageBytes must be within 1 KiB..256 KiB');
  }
  if (!REGION_PATTERN.test(config.region)) {
    throw new EngineError(
      'config',
      `region "${config.region}" must match ${REGION_PATTERN.source}`,
    );
  }
  return config;
}

export function checkStreamConfig(stream: StreamConfig): void {
  if (!STREAM_ID_PATTERN.test(stream.streamId)) {
    throw new EngineError(
      'config',
      `streamId "${stream.streamId}" must match ${STREAM_ID_PATTERN.source}`,
    );
  }
}
