import { drawPopulation, type Viewer } from './internet-lab-population.js';
import { WERIFT_PEER_SETUP } from './peer-setup.js';
import type { ViewerProfile } from './population.js';
import type { SimSpec } from './spec.js';
import { WERIFT_TRANSFER_SPREAD } from './transfer-spread.js';

/**
 * The internet benchmark (`npm run bench -- internet`, bench/src/internet) as simulator
 * scenarios: the same homes from the same seed (NAT, uplink, RTT, loss per viewer), the same
 * join spacing, watch time, buffer and 240p rendition, STUN only (no TURN), CDN-only runs with
 * the same buffer as the P2P runs.
 */

/** The benchmark's 240p rendition: 400 kbit/s video + 64 kbit/s audio. */
export const LAB_INTERNET_BITRATE_BITS_PER_SEC = 464_000;
/** Buffer target of every viewer, with and without P2P (`coral-peer --buffer-sec 12`). */
export const LAB_INTERNET_BUFFER_SEC = 12;
/** The lab's downlinks are uncapped: a rate no flow of a 240p swarm comes near, bit/s. */
const UNCAPPED_DOWNLINK_BITS_PER_SEC = 1_000_000_000;
/** Time from one run's end to the last report of its slowest viewer, s. */
const END_SLACK_SEC = 2;

export interface LabInternetOptions {
  readonly live: boolean;
  readonly viewers: number;
  readonly seed: number;
  /** Each viewer watches this long, s (the benchmark's --watch-sec; --quick: 25). */
  readonly watchSec: number;
  /** Joins this far apart, ms (the benchmark's --vod-join-ms 2000 / --live-join-ms 1000). */
  readonly joinIntervalMs: number;
  readonly p2p: boolean;
  readonly sampleSec: number;
  /**
   * Seed of the run's own chances (handshake losses, transfer spread, engine and tracker
   * draws); the homes come from `seed` alone. Default: `seed`.
   */
  readonly runSeed?: number;
  /** LIVE viewers start this many segments behind the live edge (default 3, the player's). */
  readonly liveSyncSegments?: number;
}

/** One lab home as a simulated viewer (pure). */
export function labHomeProfile(viewer: Viewer): ViewerProfile {
  const upBitsPerSec = viewer.home.upMbit * 1_000_000;
  return {
    uplinkBitsPerSec: upBitsPerSec,
    downlinkBitsPerSec: UNCAPPED_DOWNLINK_BITS_PER_SEC,
    // coral-peer announces neither: the engine's defaults.
    connectionType: 'unknown',
    region: 'unknown',
    nat: viewer.home.nat,
    lossRate: viewer.home.lossRate,
    rendition: '240p',
    accessRttMs: viewer.rttMs,
    // coral-peer --upload-kbps: the home's uplink is also the engine's upload cap.
    uploadCapBitsPerSec: upBitsPerSec,
  };
}

/** The spec of one benchmark scenario run (P2P or CDN-only), pure. */
export function labInternetSpec(o: LabInternetOptions): SimSpec {
  const homes = drawPopulation(o.viewers, o.seed).map(labHomeProfile);
  const durationSec = ((o.viewers - 1) * o.joinIntervalMs) / 1000 + o.watchSec + END_SLACK_SEC;
  return {
    scenario: o.live ? 'lab-internet-live' : 'lab-internet-vod',
    seed: o.runSeed ?? o.seed,
    live: o.live,
    durationSec,
    segmentDurationSec: 2,
    // Live: the origin's 6-segment window. VOD: the benchmark's clip of watch time + 30 s.
    segments: o.live ? 6 : Math.ceil((o.watchSec + 30) / 2),
    renditions: [{ name: '240p', bitrateBitsPerSec: LAB_INTERNET_BITRATE_BITS_PER_SEC }],
    population: {
      // Unused for the fixed homes; kept for viewers past them.
      uplinks: {
        name: 'lab-internet',
        description: 'the internet benchmark homes',
        classes: [
          {
            share: 1,
            connectionType: 'unknown',
            uplinkMedianBitsPerSec: 3_000_000,
            downlinkMedianBitsPerSec: UNCAPPED_DOWNLINK_BITS_PER_SEC,
            sigma: 0,
            lossRate: 0.015,
          },
        ],
      },
      regions: [{ name: 'unknown', share: 1, cdnRttMs: 85 }],
      sameRegionRttMs: 170,
      crossRegionRttMs: 170,
      natShares: { open: 0, cone: 0.7, symmetric: 0.2, 'udp-blocked': 0.1 },
      renditionShares: { '240p': 1 },
    },
    audience: {
      viewers: o.viewers,
      arrivals: 'fixed-interval',
      rampSec: 0,
      joinIntervalMs: o.joinIntervalMs,
      meanSessionSec: Number.POSITIVE_INFINITY,
      replaceLeavers: false,
      fixedSessionSec: o.watchSec,
    },
    homes,
    // The lab's edge sits on the services' bridge: the home's own RTT is the whole round trip.
    cdn: { egressBitsPerSec: null, firstByteMs: 2 },
    byteScale: 1,
    sampleSec: o.sampleSec,
    p2p: o.p2p,
    engine: {
      // coral-peer's engine defaults (werift's message size and send buffers).
      maxMessageBytes: 64 * 1024,
      bufferedHighWaterBytes: 256 * 1024,
      bufferedLowWaterBytes: 64 * 1024,
      segmentMemoryBytes: 16 * 1024 * 1024,
      relayAllowed: false,
    },
    // The benchmark's viewers are werift peers: their measured set-up, lost handshakes included.
    peerSetup: WERIFT_PEER_SETUP,
    peerTransferSpread: WERIFT_TRANSFER_SPREAD,
    player: {
      tickMs: 100,
      bufferTargetSec: LAB_INTERNET_BUFFER_SEC,
      liveSyncSegments: o.liveSyncSegments ?? 3,
    },
    measureWindowSec: null,
  };
}
