import { describe, expect, it } from 'vitest';
import {
  cohortPlan,
  CohortError,
  fluidBound,
  offloadOf,
  oneCopyBytes,
  scaleCount,
  scaledFluidBound,
  scaleLoad,
  scaleSegmentBytes,
} from '../src/index.js';

const MBIT = 1_000_000;

describe('cohortPlan', () => {
  it('each simulated viewer stands for N / (M·K) of the audience', () => {
    expect(cohortPlan(10_000, 250, 1).weight).toBe(40);
    expect(cohortPlan(10_000, 250, 2).weight).toBe(20);
    expect(cohortPlan(1000, 1000, 1).weight).toBe(1);
  });

  it('refuses cohorts larger than the audience, and cohorts of fewer than two', () => {
    expect(() => cohortPlan(1000, 600, 2)).toThrow(CohortError);
    expect(() => cohortPlan(1000, 1001, 1)).toThrow(/run it in full/);
    expect(() => cohortPlan(1000, 1, 1)).toThrow(/>= 2/);
    expect(() => cohortPlan(1000, 100, 0)).toThrow(/>= 1/);
  });
});

describe('oneCopyBytes (the 1/N term: one copy per live swarm from the CDN)', () => {
  it('is the bitrate over the interval while two or more viewers can share', () => {
    const load = { bitrateBitsPerSec: 2 * MBIT, viewers: 10, connectable: 2 };
    expect(oneCopyBytes(load, 5)).toBe((2 * MBIT * 5) / 8);
  });

  it('is nothing when fewer than two can open WebRTC (every byte scales then)', () => {
    expect(oneCopyBytes({ bitrateBitsPerSec: 2 * MBIT, viewers: 10, connectable: 1 }, 5)).toBe(0);
    expect(oneCopyBytes({ bitrateBitsPerSec: 2 * MBIT, viewers: 0, connectable: 0 }, 5)).toBe(0);
  });
});

describe('scaleSegmentBytes', () => {
  it('counts one copy per swarm once: the weight’s extra copies move from the CDN to peers', () => {
    const plan = cohortPlan(400, 100, 1);
    const scaled = scaleSegmentBytes({ http: 10, p2p: 30 }, 2, plan);
    // Naively 40 from the CDN; the cohort's one copy (2) would count 4 times, the audience's once.
    expect(scaled.http).toBe(40 - 6);
    expect(scaled.p2p).toBe(120 + 6);
    expect(scaled.movedBytes).toBe(6);
  });

  it('keeps the total delivered: moving bytes never creates or loses any', () => {
    const plan = cohortPlan(10_000, 250, 2);
    const sums = { http: 1234, p2p: 4321 };
    const scaled = scaleSegmentBytes(sums, 100, plan);
    expect(scaled.http + scaled.p2p).toBeCloseTo((sums.http + sums.p2p) * plan.weight, 6);
  });

  it('with K cohorts, the audience takes the mean cohort’s one copy once', () => {
    const plan = cohortPlan(1000, 100, 2); // weight 5
    // Two cohorts each took one copy of 2 bytes: summed 4; scaled 20; the audience takes 2.
    const scaled = scaleSegmentBytes({ http: 10, p2p: 10 }, 4, plan);
    expect(scaled.movedBytes).toBe(18);
    expect(scaled.http).toBe(50 - 18);
  });

  it('never leaves the CDN less than the one copy', () => {
    const plan = cohortPlan(400, 100, 1);
    // The interval's CDN bytes were less than a copy (a segment straddling the sample edge).
    const scaled = scaleSegmentBytes({ http: 1, p2p: 30 }, 2, plan);
    expect(scaled.http).toBe(2);
    expect(scaled.movedBytes).toBe(2);
    expect(scaleSegmentBytes({ http: 0, p2p: 30 }, 2, plan).http).toBe(0);
  });

  it('changes nothing when the cohort is the audience (weight 1)', () => {
    const scaled = scaleSegmentBytes({ http: 10, p2p: 30 }, 2, cohortPlan(100, 100, 1));
    expect(scaled).toEqual({ http: 10, p2p: 30, movedBytes: 0 });
  });
});

describe('the fluid bound of the scaled population', () => {
  const rendition = { bitrateBitsPerSec: 2 * MBIT, viewers: 10, connectable: 10 };

  it('is (C−1)/N of the audience, not of the cohort', () => {
    const plan = cohortPlan(1000, 10, 1);
    const plenty = 1e12;
    expect(scaledFluidBound([rendition], plenty, plan)).toBeCloseTo(999 / 1000, 9);
    expect(fluidBound([rendition], plenty)).toBeCloseTo(9 / 10, 9);
  });

  it('scales the uplinks with the viewers (the uplink-limited bound does not move)', () => {
    const plan = cohortPlan(1000, 10, 1);
    // Summed uplinks of the cohort carry half its demand.
    const uplinks = 0.5 * 10 * 2 * MBIT;
    expect(scaledFluidBound([rendition], uplinks, plan)).toBeCloseTo(0.5, 9);
  });

  it('scaleLoad scales viewers and WebRTC-capable viewers, not the bitrate', () => {
    expect(scaleLoad(rendition, cohortPlan(40, 10, 1))).toEqual({
      bitrateBitsPerSec: 2 * MBIT,
      viewers: 40,
      connectable: 40,
    });
  });
});

describe('counts and ratios', () => {
  it('counts of sampled viewers scale by the weight', () => {
    expect(scaleCount(8, cohortPlan(10_000, 250, 1))).toBe(320);
  });

  it('offload is P2P over all segment bytes, null when nothing was delivered', () => {
    expect(offloadOf({ p2p: 3, http: 1 })).toBe(0.75);
    expect(offloadOf({ p2p: 0, http: 0 })).toBeNull();
  });
});
