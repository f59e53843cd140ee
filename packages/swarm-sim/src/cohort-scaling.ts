import { fluidBound, type RenditionLoad, type SegmentBytes } from './metrics.js';

/**
 * Cohort mode: an audience of N viewers estimated from K full-fidelity swarms of M sampled
 * viewers each (same distributions, same arrival and session laws). Every viewer connects to a
 * handful of peers (the engine's maxPeers), so a large swarm behaves as overlapping
 * neighbourhoods and per-viewer figures carry over; what does not scale with the sample is
 * corrected here, as pure functions:
 *
 * - additive figures (bytes, segments, connections, tracker messages) scale by the weight
 *   N / (M·K);
 * - the one copy of each live segment a rendition swarm must take from the CDN (the 1/N term of
 *   the bound) is taken once per swarm, not once per cohort times the weight: the weight's extra
 *   copies move from CDN to peer bytes (the viewers they stand for are ordinary waiters in the
 *   full swarm);
 * - the fluid bound is that of the scaled population ((C−1)/N with C and N scaled);
 * - distributions (start-up, stalls per viewer) are those of the sampled viewers, and counts of
 *   viewers (stalled viewers) scale by the weight.
 */
export interface CohortPlan {
  /** N: the audience the run stands for. */
  readonly populationViewers: number;
  /** M: viewers simulated in each cohort. */
  readonly cohortViewers: number;
  /** K: independent cohorts (each its own swarm and seed). */
  readonly cohorts: number;
  /** Audience viewers each simulated viewer stands for: N / (M·K). */
  readonly weight: number;
}

export class CohortError extends Error {
  override readonly name = 'CohortError';
}

export function cohortPlan(
  populationViewers: number,
  cohortViewers: number,
  cohorts: number,
): CohortPlan {
  if (!Number.isInteger(cohortViewers) || cohortViewers < 2)
    throw new CohortError(`the cohort size must be a whole number >= 2, got ${cohortViewers}`);
  if (!Number.isInteger(cohorts) || cohorts < 1)
    throw new CohortError(`the number of cohorts must be a whole number >= 1, got ${cohorts}`);
  if (cohortViewers * cohorts > populationViewers)
    throw new CohortError(
      `${cohorts} cohort(s) of ${cohortViewers} exceed the audience of ${populationViewers}: run it in full`,
    );
  return {
    populationViewers,
    cohortViewers,
    cohorts,
    weight: populationViewers / (cohortViewers * cohorts),
  };
}

/** What a cohort run says about itself (in the JSON and the summary). */
export interface CohortApproximation {
  readonly kind: 'cohort';
  readonly populationViewers: number;
  readonly cohortViewers: number;
  readonly cohorts: number;
  readonly weight: number;
  /** Cohort viewers drawn stratified (`stratifiedProfiles`) or independently. */
  readonly stratified: boolean;
  /** The election seated the audience's proportion of candidates (`cohort-election.ts`). */
  readonly standIns: boolean;
  /** Viewers that joined the cohorts (with churn, more than M·K). */
  readonly sampledViewers: number;
  /** Of them, those that stalled at least once. */
  readonly sampledViewersWithStalls: number;
  /** Bytes moved from the CDN to peers by the one-copy-per-swarm correction. */
  readonly oneCopyCorrectionBytes: number;
  readonly note: string;
}

/**
 * Bytes of one copy of a rendition the CDN must send its swarm over an interval: the stream's
 * bitrate while at least two viewers able to open WebRTC watch it (with fewer, nobody can
 * share, and every byte scales with the audience).
 */
export function oneCopyBytes(load: RenditionLoad, intervalSec: number): number {
  return load.connectable >= 2 ? (load.bitrateBitsPerSec * intervalSec) / 8 : 0;
}

/**
 * The audience's segment bytes from the cohorts' sums. Scaled, the cohorts' one copy per swarm
 * counts `weight` times per cohort; the audience's swarm takes it once (the mean over cohorts).
 * The difference moves from the CDN to peers, never leaving the CDN less than that one copy nor
 * less than zero. `oneCopySumBytes`: the cohorts' one-copy bytes, summed.
 */
export function scaleSegmentBytes(
  sums: SegmentBytes,
  oneCopySumBytes: number,
  plan: CohortPlan,
): SegmentBytes & { readonly movedBytes: number } {
  const http = sums.http * plan.weight;
  const p2p = sums.p2p * plan.weight;
  const oneCopy = oneCopySumBytes / plan.cohorts;
  const excess = oneCopySumBytes * plan.weight - oneCopy;
  const moved = Math.max(0, Math.min(excess, http - oneCopy));
  return { http: http - moved, p2p: p2p + moved, movedBytes: moved };
}

/** A rendition's load in the audience: viewers and WebRTC-capable viewers scaled. */
export function scaleLoad(load: RenditionLoad, plan: CohortPlan): RenditionLoad {
  return {
    bitrateBitsPerSec: load.bitrateBitsPerSec,
    viewers: load.viewers * plan.weight,
    connectable: load.connectable * plan.weight,
  };
}

/** The fluid bound of the audience from the cohorts' summed loads and uplinks. */
export function scaledFluidBound(
  summedLoads: readonly RenditionLoad[],
  summedUplinkBitsPerSec: number,
  plan: CohortPlan,
): number {
  return fluidBound(
    summedLoads.map((load) => scaleLoad(load, plan)),
    summedUplinkBitsPerSec * plan.weight,
  );
}

/** Offload from bytes (null when nothing was delivered). */
export function offloadOf(bytes: SegmentBytes): number | null {
  const all = bytes.p2p + bytes.http;
  return all > 0 ? bytes.p2p / all : null;
}

/** A count of sampled viewers (stalled, say) as a count of the audience. */
export function scaleCount(sampled: number, plan: CohortPlan): number {
  return sampled * plan.weight;
}
