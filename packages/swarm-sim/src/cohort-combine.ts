import { emptyCdnReasons, type CdnReason } from '@coral-cdn/p2p-engine';
import {
  cohortPlan,
  offloadOf,
  oneCopyBytes,
  scaleCount,
  scaledFluidBound,
  scaleLoad,
  scaleSegmentBytes,
  type CohortPlan,
} from './cohort-scaling.js';
import { distribution, type RenditionLoad, type SegmentBytes, type SimSample } from './metrics.js';
import type { SimResult } from './simulate.js';
import type { SimSpec } from './spec.js';

const NO_BYTES: SegmentBytes = { p2p: 0, http: 0 };

/** A sample of the audience from the cohorts' samples at the same instant. */
export function combineSamples(
  spec: SimSpec,
  plan: CohortPlan,
  samples: readonly SimSample[],
): { readonly sample: SimSample; readonly movedBytesByRendition: Record<string, number> } {
  const first = samples[0]!;
  const summedLoads: RenditionLoad[] = [];
  const moved: Record<string, number> = {};
  const loads: Record<string, RenditionLoad> = {};
  const bytes: Record<string, SegmentBytes> = {};
  const offloadByRendition: Record<string, number | null> = {};
  const egressByRendition: Record<string, number> = {};
  let movedBytes = 0;
  let p2p = 0;
  let http = 0;
  for (const r of spec.renditions) {
    let viewers = 0;
    let connectable = 0;
    let oneCopy = 0;
    const sums = { p2p: 0, http: 0 };
    for (const sample of samples) {
      const load = sample.loadsByRendition[r.name] ?? {
        bitrateBitsPerSec: r.bitrateBitsPerSec,
        viewers: 0,
        connectable: 0,
      };
      viewers += load.viewers;
      connectable += load.connectable;
      oneCopy += oneCopyBytes(load, spec.sampleSec);
      const b = sample.segmentBytesByRendition[r.name] ?? NO_BYTES;
      sums.p2p += b.p2p;
      sums.http += b.http;
    }
    const summed = { bitrateBitsPerSec: r.bitrateBitsPerSec, viewers, connectable };
    summedLoads.push(summed);
    loads[r.name] = scaleLoad(summed, plan);
    const scaled = scaleSegmentBytes(sums, oneCopy, plan);
    bytes[r.name] = { p2p: scaled.p2p, http: scaled.http };
    offloadByRendition[r.name] = offloadOf(scaled);
    moved[r.name] = scaled.movedBytes;
    movedBytes += scaled.movedBytes;
    p2p += scaled.p2p;
    http += scaled.http;
    const egress = samples.reduce(
      (sum, s) => sum + (s.cdnEgressBitsPerSecByRendition[r.name] ?? 0),
      0,
    );
    egressByRendition[r.name] = Math.max(
      0,
      egress * plan.weight - (scaled.movedBytes * 8) / spec.sampleSec,
    );
  }
  const control = samples.reduce(
    (sum, s) => sum + (s.cdnEgressBitsPerSecByRendition.control ?? 0),
    0,
  );
  if (control > 0) egressByRendition.control = control * plan.weight;
  const sum = (pick: (s: SimSample) => number) => samples.reduce((t, s) => t + pick(s), 0);
  const uplinks = sum((s) => s.connectableUplinkBitsPerSec);
  const sample: SimSample = {
    tSec: first.tSec,
    viewers: sum((s) => s.viewers) * plan.weight,
    offload: offloadOf({ p2p, http }),
    offloadByRendition,
    fluidBound: scaledFluidBound(summedLoads, uplinks, plan),
    cdnEgressBitsPerSec: Math.max(
      0,
      sum((s) => s.cdnEgressBitsPerSec) * plan.weight - (movedBytes * 8) / spec.sampleSec,
    ),
    cdnEgressBitsPerSecByRendition: egressByRendition,
    trackerMessagesPerSec: sum((s) => s.trackerMessagesPerSec) * plan.weight,
    loadsByRendition: loads,
    connectableUplinkBitsPerSec: uplinks * plan.weight,
    segmentBytesByRendition: bytes,
  };
  return { sample, movedBytesByRendition: moved };
}

/**
 * The audience's result from its cohorts' results (each run with `cohortRunSpec`): scaled and
 * corrected totals and time series, distributions over the sampled viewers, summed costs.
 */
export function combineCohorts(
  spec: SimSpec,
  cohortViewers: number,
  results: readonly SimResult[],
  wallSec: number,
  draw: { readonly stratified: boolean; readonly standIns: boolean },
): SimResult {
  const { stratified, standIns } = draw;
  const plan = cohortPlan(spec.audience.viewers, cohortViewers, results.length);
  const steps = Math.min(...results.map((r) => r.samples.length));
  const samples: SimSample[] = [];
  let movedBytes = 0;
  let movedSegments = 0;
  const totals = new Map<string, { p2p: number; http: number }>();
  for (let i = 0; i < steps; i++) {
    const { sample, movedBytesByRendition } = combineSamples(
      spec,
      plan,
      results.map((r) => r.samples[i]!),
    );
    for (const r of spec.renditions) {
      const bytes = movedBytesByRendition[r.name] ?? 0;
      movedBytes += bytes;
      movedSegments += bytes / ((r.bitrateBitsPerSec * spec.segmentDurationSec) / 8);
    }
    samples.push(sample);
    for (const [name, b] of Object.entries(sample.segmentBytesByRendition)) {
      const t = totals.get(name) ?? { p2p: 0, http: 0 };
      t.p2p += b.p2p;
      t.http += b.http;
      totals.set(name, t);
    }
  }
  let p2p = 0;
  let http = 0;
  const offloadByRendition: Record<string, number> = {};
  for (const [name, t] of totals) {
    p2p += t.p2p;
    http += t.http;
    offloadByRendition[name] = offloadOf(t) ?? 0;
  }
  const outcomes = results.flatMap((r) => r.viewers);
  const sumOf = (pick: (r: SimResult) => number) => results.reduce((t, r) => t + pick(r), 0);
  const cdnReasons = emptyCdnReasons();
  for (const r of results)
    for (const [reason, count] of Object.entries(r.totals.cdnReasons))
      cdnReasons[reason as CdnReason] += count * plan.weight;
  cdnReasons.elected = Math.max(0, cdnReasons.elected - movedSegments);
  for (const reason of Object.keys(cdnReasons) as CdnReason[])
    cdnReasons[reason] = Math.round(cdnReasons[reason]);
  const boundSamples = samples.filter((s) => s.viewers > 0);
  const started = outcomes.filter((o) => o.startupMs !== null);
  const sampledWithStalls = outcomes.filter((o) => o.stalls > 0).length;
  const logs = { debug: 0, info: 0, warn: 0, error: 0 };
  for (const r of results)
    for (const level of Object.keys(logs) as (keyof typeof logs)[])
      logs[level] += r.cost.engineLogs[level];
  return {
    spec,
    samples,
    totals: {
      viewers: Math.round(scaleCount(outcomes.length, plan)),
      offload: offloadOf({ p2p, http }) ?? 0,
      offloadByRendition,
      fluidBound:
        boundSamples.reduce((sum, s) => sum + s.fluidBound, 0) / Math.max(1, boundSamples.length),
      cdnEgressBytes: Math.max(0, sumOf((r) => r.totals.cdnEgressBytes) * plan.weight - movedBytes),
      p2pBytes: p2p,
      peerConnectionsOpened: Math.round(sumOf((r) => r.totals.peerConnectionsOpened) * plan.weight),
      peerConnectionsFailed: Math.round(sumOf((r) => r.totals.peerConnectionsFailed) * plan.weight),
      cdnReasons,
      segmentsFromP2p: Math.round(
        sumOf((r) => r.totals.segmentsFromP2p) * plan.weight + movedSegments,
      ),
    },
    window: null,
    startupMs: distribution(started.map((o) => o.startupMs!)),
    stallsPerViewer: distribution(outcomes.map((o) => o.stalls)),
    stallMsPerViewer: distribution(outcomes.map((o) => o.stallMs)),
    viewersWithStalls: Math.round(scaleCount(sampledWithStalls, plan)),
    trackerMessagesPerSec: distribution(samples.map((s) => s.trackerMessagesPerSec)),
    cost: {
      wallSec,
      timersFired: sumOf((r) => r.cost.timersFired),
      flowRecomputes: sumOf((r) => r.cost.flowRecomputes),
      peakRssBytes: Math.max(...results.map((r) => r.cost.peakRssBytes)),
      digests: sumOf((r) => r.cost.digests),
      verifies: sumOf((r) => r.cost.verifies),
      verifyCacheHits: sumOf((r) => r.cost.verifyCacheHits),
      engineLogs: logs,
    },
    viewers: outcomes,
    approximation: {
      kind: 'cohort',
      populationViewers: plan.populationViewers,
      cohortViewers: plan.cohortViewers,
      cohorts: plan.cohorts,
      weight: plan.weight,
      stratified,
      standIns,
      sampledViewers: outcomes.length,
      sampledViewersWithStalls: sampledWithStalls,
      oneCopyCorrectionBytes: movedBytes,
      note: `COHORT APPROXIMATION: ${plan.populationViewers} viewers estimated from ${plan.cohorts} full-fidelity cohort(s) of ${plan.cohortViewers}, ${stratified ? 'stratified' : 'drawn independently'}${standIns ? ', election stand-ins' : ''}, each simulated viewer standing for ${plan.weight.toFixed(2)}; per-viewer figures and distributions are the sampled viewers' ('viewers' lists them)`,
    },
  };
}
