import { describe, expect, it } from 'vitest';
import {
  cohortPlan,
  cohortRefusal,
  cohortRunSpec,
  combineSamples,
  scenarioSpec,
  simulate,
  simulateCohort,
  type RenditionLoad,
  type SimSample,
  type SimSpec,
} from '../src/index.js';

const MBIT = 1_000_000;

function sample(
  loads: Record<string, RenditionLoad>,
  bytes: Record<string, { p2p: number; http: number }>,
  egressBitsPerSec: number,
  trackerMessagesPerSec: number,
): SimSample {
  return {
    tSec: 5,
    viewers: Object.values(loads).reduce((sum, l) => sum + l.viewers, 0),
    offload: null,
    offloadByRendition: {},
    fluidBound: 0,
    cdnEgressBitsPerSec: egressBitsPerSec,
    cdnEgressBitsPerSecByRendition: { a: egressBitsPerSec },
    trackerMessagesPerSec,
    loadsByRendition: loads,
    connectableUplinkBitsPerSec: 100 * MBIT,
    segmentBytesByRendition: bytes,
  };
}

function liveSpec(viewers: number, durationSec = 12): SimSpec {
  const spec = scenarioSpec('live-flash-crowd', {
    viewers,
    durationSec,
    renditions: ['240p'],
    byteScale: 64,
  });
  return { ...spec, audience: { ...spec.audience, rampSec: 4 } };
}

describe('combineSamples (one instant of the audience from its cohorts)', () => {
  // One rendition at 1.6 Mbit/s: one copy over a 5 s sample is 1,000,000 bytes.
  const spec: SimSpec = {
    ...liveSpec(100),
    renditions: [{ name: 'a', bitrateBitsPerSec: 1.6 * MBIT }],
    sampleSec: 5,
  };
  const load = { bitrateBitsPerSec: 1.6 * MBIT, viewers: 10, connectable: 10 };
  const cohort = sample({ a: load }, { a: { p2p: 6e6, http: 3e6 } }, 4.8 * MBIT, 50);

  it('scales rates and viewers by the weight and counts one copy per swarm once', () => {
    const plan = cohortPlan(100, 10, 2); // two cohorts of 10, weight 5
    const { sample: combined, movedBytesByRendition } = combineSamples(spec, plan, [
      cohort,
      cohort,
    ]);
    expect(combined.viewers).toBe(100);
    expect(combined.trackerMessagesPerSec).toBe(500);
    // The cohorts' one copy each (2e6 summed) counts 10e6 scaled; the audience's swarm takes 1e6.
    expect(movedBytesByRendition.a).toBe(9e6);
    expect(combined.segmentBytesByRendition.a).toEqual({ p2p: 60e6 + 9e6, http: 30e6 - 9e6 });
    expect(combined.offload).toBeCloseTo(69 / 90, 9);
    expect(combined.cdnEgressBitsPerSec).toBeCloseTo(9.6 * MBIT * 5 - (9e6 * 8) / 5, 3);
    expect(combined.loadsByRendition.a).toEqual({ ...load, viewers: 100, connectable: 100 });
    expect(combined.fluidBound).toBeCloseTo(99 / 100, 9);
  });
});

describe('cohort runs', () => {
  it('a cohort keeps the audience’s byte scale and laws, with M viewers and its own seed', () => {
    const spec = scenarioSpec('live-flash-crowd', { viewers: 10_000, seed: 3 });
    const first = cohortRunSpec(spec, 250, 0);
    const second = cohortRunSpec(spec, 250, 1);
    expect(first.audience.viewers).toBe(250);
    expect(first.byteScale).toBe(spec.byteScale);
    expect(first.audience.rampSec).toBe(spec.audience.rampSec);
    expect(first.seed).toBe(3);
    expect(second.seed).not.toBe(3);
  });

  it('refuses VOD and the lab scenarios', () => {
    expect(cohortRefusal(scenarioSpec('vod', { viewers: 1000 }))).toMatch(/live/);
    expect(cohortRefusal(scenarioSpec('lab-live', { viewers: 10 }))).toMatch(/lab/);
    expect(cohortRefusal(scenarioSpec('live-churn', { viewers: 1000 }))).toBeNull();
  });

  it('one cohort as large as the audience is the full-fidelity run', async () => {
    const spec = liveSpec(6);
    const full = await simulate(spec);
    const cohort = await simulateCohort(spec, { cohortViewers: 6 });
    expect(full.approximation).toBeNull();
    expect(cohort.approximation).toMatchObject({ kind: 'cohort', weight: 1, cohortViewers: 6 });
    expect(cohort.totals.offload).toBeCloseTo(full.totals.offload, 9);
    expect(cohort.totals.cdnEgressBytes).toBeCloseTo(full.totals.cdnEgressBytes, 0);
    expect(cohort.totals.p2pBytes).toBeCloseTo(full.totals.p2pBytes, 0);
    expect(cohort.viewersWithStalls).toBe(full.viewersWithStalls);
    expect(cohort.startupMs).toEqual(full.startupMs);
    expect(cohort.totals.cdnReasons).toEqual(full.totals.cdnReasons);
  });

  it('a cohort of half the audience says it is an approximation and scales the audience', async () => {
    const result = await simulateCohort(liveSpec(8), { cohortViewers: 4 });
    expect(result.approximation?.note).toMatch(/COHORT APPROXIMATION: 8 viewers .* of 4/);
    expect(result.totals.viewers).toBe(8);
    expect(result.viewers).toHaveLength(4);
  });
});
