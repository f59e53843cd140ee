import type { ConnectionType } from '@coral-cdn/protocol';
import type { NatType } from './nat.js';
import { exponential, logNormal, pick } from './random.js';

/** One viewer as drawn from the population's distributions. */
export interface ViewerProfile {
  readonly uplinkBitsPerSec: number;
  readonly downlinkBitsPerSec: number;
  readonly connectionType: ConnectionType;
  readonly region: string;
  readonly nat: NatType;
  readonly lossRate: number;
  readonly rendition: string;
  /**
   * RTT this viewer's access link adds, ms: its whole RTT to the services, and between two
   * such viewers the sum of both (the network lab's homes). Unset: RTTs by region.
   */
  readonly accessRttMs?: number;
  /** The engine's upload cap, bit/s (as `coral-peer --upload-kbps`). Unset: the spec's. */
  readonly uploadCapBitsPerSec?: number;
}

export interface AccessClass {
  readonly share: number;
  readonly connectionType: ConnectionType;
  readonly uplinkMedianBitsPerSec: number;
  readonly downlinkMedianBitsPerSec: number;
  /** Spread of ln(rate). */
  readonly sigma: number;
  readonly lossRate: number;
}

export interface UplinkMix {
  readonly name: string;
  readonly description: string;
  readonly classes: readonly AccessClass[];
}

const M = 1_000_000;

/**
 * Access-network mixes. "residential": fixed lines around the published upload medians (cable
 * and fibre about 12–27 Mbit/s up), mobile about 10 Mbit/s up with some loss; "dsl-heavy": a
 * market where many homes upload 1–3 Mbit/s; "lab": the loopback of the werift benchmark
 * (every peer moves 6–14 MiB/s, no loss), for validation.
 */
export const UPLINK_MIXES: Readonly<Record<string, UplinkMix>> = {
  residential: {
    name: 'residential',
    description: 'fixed 12-27 Mbit/s up (median 18), mobile about 10 Mbit/s up',
    classes: [
      {
        share: 0.55,
        connectionType: 'ethernet',
        uplinkMedianBitsPerSec: 18 * M,
        downlinkMedianBitsPerSec: 200 * M,
        sigma: 0.35,
        lossRate: 0,
      },
      {
        share: 0.2,
        connectionType: 'wifi',
        uplinkMedianBitsPerSec: 12 * M,
        downlinkMedianBitsPerSec: 100 * M,
        sigma: 0.45,
        lossRate: 0.001,
      },
      {
        share: 0.25,
        connectionType: 'cellular',
        uplinkMedianBitsPerSec: 10 * M,
        downlinkMedianBitsPerSec: 50 * M,
        sigma: 0.6,
        lossRate: 0.005,
      },
    ],
  },
  'dsl-heavy': {
    name: 'dsl-heavy',
    description: 'half the homes on DSL with 1-3 Mbit/s up; the rest as residential',
    classes: [
      {
        share: 0.5,
        connectionType: 'ethernet',
        uplinkMedianBitsPerSec: 1.5 * M,
        downlinkMedianBitsPerSec: 16 * M,
        sigma: 0.4,
        lossRate: 0,
      },
      {
        share: 0.3,
        connectionType: 'ethernet',
        uplinkMedianBitsPerSec: 18 * M,
        downlinkMedianBitsPerSec: 200 * M,
        sigma: 0.35,
        lossRate: 0,
      },
      {
        share: 0.2,
        connectionType: 'cellular',
        uplinkMedianBitsPerSec: 10 * M,
        downlinkMedianBitsPerSec: 50 * M,
        sigma: 0.6,
        lossRate: 0.005,
      },
    ],
  },
  lab: {
    name: 'lab',
    description: 'loopback, as the werift swarm benchmark: about 10 MiB/s each way, no loss',
    classes: [
      {
        share: 1,
        connectionType: 'ethernet',
        uplinkMedianBitsPerSec: 80 * M,
        downlinkMedianBitsPerSec: 400 * M,
        sigma: 0.2,
        lossRate: 0,
      },
    ],
  },
};

export interface Region {
  readonly name: string;
  readonly share: number;
  /** RTT to the nearest CDN edge and to the tracker, ms. */
  readonly cdnRttMs: number;
}

export interface PopulationSpec {
  readonly uplinks: UplinkMix;
  readonly regions: readonly Region[];
  /** RTT between two viewers in one region / in two regions, ms. */
  readonly sameRegionRttMs: number;
  readonly crossRegionRttMs: number;
  readonly natShares: Readonly<Record<NatType, number>>;
  readonly renditionShares: Readonly<Record<string, number>>;
}

/** Internet NAT shares: most homes sit behind cone NATs; carrier-grade NAT is often symmetric. */
export const INTERNET_NATS: Readonly<Record<NatType, number>> = {
  open: 0.1,
  cone: 0.62,
  symmetric: 0.22,
  'udp-blocked': 0.06,
};

export const LAB_NATS: Readonly<Record<NatType, number>> = {
  open: 1,
  cone: 0,
  symmetric: 0,
  'udp-blocked': 0,
};

export const INTERNET_REGIONS: readonly Region[] = [
  { name: 'eu-west', share: 0.45, cdnRttMs: 20 },
  { name: 'us-east', share: 0.35, cdnRttMs: 25 },
  { name: 'ap-south', share: 0.2, cdnRttMs: 45 },
];

export const LAB_REGIONS: readonly Region[] = [{ name: 'eu-west', share: 1, cdnRttMs: 1 }];

export function drawViewer(random: () => number, spec: PopulationSpec): ViewerProfile {
  const classes = spec.uplinks.classes;
  const classIndex = pick(
    random,
    Object.fromEntries(classes.map((c, i) => [String(i), c.share])) as Record<string, number>,
  );
  const access = classes[Number(classIndex)]!;
  const regionName = pick(
    random,
    Object.fromEntries(spec.regions.map((r) => [r.name, r.share])) as Record<string, number>,
  );
  return {
    uplinkBitsPerSec: Math.max(
      64_000,
      logNormal(random, access.uplinkMedianBitsPerSec, access.sigma),
    ),
    downlinkBitsPerSec: Math.max(
      512_000,
      logNormal(random, access.downlinkMedianBitsPerSec, access.sigma),
    ),
    connectionType: access.connectionType,
    region: regionName,
    nat: pick(random, spec.natShares),
    lossRate: access.lossRate,
    rendition: pick(random, spec.renditionShares),
  };
}

/** When viewers arrive and how long they stay. */
export interface AudienceSpec {
  readonly viewers: number;
  /** 'flash': all arrive within `rampSec` from the start; 'steady': spread over the event. */
  readonly arrivals: 'flash' | 'steady' | 'fixed-interval';
  readonly rampSec: number;
  /** fixed-interval: one viewer every this many ms. */
  readonly joinIntervalMs: number;
  /** Mean session length, s (exponential); Infinity: stay to the end. */
  readonly meanSessionSec: number;
  /** Churn: a viewer that leaves is replaced by a newcomer (audience size stays put). */
  readonly replaceLeavers: boolean;
  /** Every session lasts exactly this long, s (overrides `meanSessionSec`). */
  readonly fixedSessionSec?: number;
}

export interface Arrival {
  readonly atMs: number;
  /** null: stays until the end. */
  readonly leaveAfterMs: number | null;
}

/** Arrival times and session lengths for the audience over `durationSec`. */
export function drawArrivals(
  random: () => number,
  audience: AudienceSpec,
  durationSec: number,
): Arrival[] {
  const arrivals: Arrival[] = [];
  const session = (): number | null =>
    audience.fixedSessionSec !== undefined
      ? audience.fixedSessionSec * 1000
      : Number.isFinite(audience.meanSessionSec)
        ? Math.max(10_000, exponential(random, audience.meanSessionSec * 1000))
        : null;
  for (let i = 0; i < audience.viewers; i++) {
    let atMs: number;
    if (audience.arrivals === 'fixed-interval') atMs = i * audience.joinIntervalMs;
    else if (audience.arrivals === 'flash') {
      // Most arrive at the start: an exponential ramp with a third of the ramp as its mean, cut.
      atMs = Math.min(audience.rampSec, exponential(random, audience.rampSec / 3)) * 1000;
    } else atMs = random() * durationSec * 1000 * 0.9;
    arrivals.push({ atMs, leaveAfterMs: session() });
  }
  return arrivals.sort((a, b) => a.atMs - b.atMs);
}
