import type { PopulationSpec } from './population.js';
import type { Host, PathModel } from './sim-rtc.js';

/** Extra RTT of a mobile access link over a fixed one, ms. */
const CELLULAR_EXTRA_RTT_MS = 30;
/** Segment size of the Mathis bound (WebRTC data channels use ~1200-byte packets). */
const MSS_BYTES = 1200;

export interface HostTraits {
  readonly cellular: boolean;
}

/** The Mathis et al. bound for a loss-based congestion controller, MSS·1.22 / (RTT·√p), B/s. */
export function mathisBytesPerSec(rttMs: number, lossRate: number, mssBytes: number): number {
  if (lossRate <= 0) return Infinity;
  return (mssBytes * 1.22) / (Math.max(1, rttMs) / 1000) / Math.sqrt(lossRate);
}

/**
 * Loss as a throughput cap of a data channel: the Mathis bound at the channel's packet size,
 * with p the loss of the two access links combined.
 */
export function lossCapBytesPerSec(rttMs: number, lossRate: number): number {
  return mathisBytesPerSec(rttMs, lossRate, MSS_BYTES);
}

export function createPathModel(
  population: PopulationSpec,
  traits: (host: Host) => HostTraits,
): PathModel {
  const rttMs = (a: Host, b: Host): number =>
    a.accessRttMs !== null && b.accessRttMs !== null
      ? a.accessRttMs + b.accessRttMs
      : (a.region === b.region ? population.sameRegionRttMs : population.crossRegionRttMs) +
        (traits(a).cellular ? CELLULAR_EXTRA_RTT_MS : 0) +
        (traits(b).cellular ? CELLULAR_EXTRA_RTT_MS : 0);
  return {
    rttMs,
    capBytesPerSec: (a, b) =>
      lossCapBytesPerSec(rttMs(a, b), 1 - (1 - a.lossRate) * (1 - b.lossRate)),
  };
}

export function cdnRttMs(population: PopulationSpec, region: string, cellular: boolean): number {
  const base = population.regions.find((r) => r.name === region)?.cdnRttMs ?? 30;
  return base + (cellular ? CELLULAR_EXTRA_RTT_MS : 0);
}
