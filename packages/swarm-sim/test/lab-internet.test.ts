import { describe, expect, it } from 'vitest';
import { drawPopulation } from '../src/internet-lab-population.js';
import { createPathModel } from '../src/paths.js';
import { scenarioSpec, simulate } from '../src/index.js';
import type { Host } from '../src/sim-rtc.js';
import { Link } from '../src/flow-network.js';

const host = (accessRttMs: number | null, lossRate = 0): Host => ({
  id: 'h',
  up: new Link(1),
  down: new Link(1),
  nat: 'cone',
  region: 'eu-west',
  lossRate,
  accessRttMs,
  alive: true,
  channels: new Set(),
});

describe('the lab-internet scenarios (the internet benchmark in the simulator)', () => {
  it('simulate the benchmark homes of the seed, one by one, in join order', () => {
    const spec = scenarioSpec('lab-internet-vod', { viewers: 10, seed: 3 });
    const population = drawPopulation(10, 3);
    expect(spec.homes).toHaveLength(10);
    spec.homes!.forEach((home, i) => {
      const viewer = population[i]!;
      expect(home.nat).toBe(viewer.home.nat);
      expect(home.uplinkBitsPerSec).toBe(viewer.home.upMbit * 1e6);
      expect(home.uploadCapBitsPerSec).toBe(viewer.home.upMbit * 1e6);
      expect(home.accessRttMs).toBe(viewer.rttMs);
      expect(home.lossRate).toBe(viewer.home.lossRate);
    });
    expect(spec.audience.joinIntervalMs).toBe(2000);
    expect(scenarioSpec('lab-internet-live', { viewers: 10 }).audience.joinIntervalMs).toBe(1000);
  });

  it('keep the 12 s buffer without P2P too, as the benchmark does', () => {
    const cdnOnly = scenarioSpec('lab-internet-live', { viewers: 6, p2p: false });
    expect(cdnOnly.player.bufferTargetSec).toBe(12);
    expect(cdnOnly.p2p).toBe(false);
  });

  it('start LIVE viewers 3 segments behind the edge unless told otherwise, with or without P2P', () => {
    expect(scenarioSpec('lab-internet-live', { viewers: 6 }).player.liveSyncSegments).toBe(3);
    for (const p2p of [true, false])
      expect(
        scenarioSpec('lab-internet-live', { viewers: 6, p2p, liveSyncSegments: 4 }).player
          .liveSyncSegments,
      ).toBe(4);
  });

  it('add both homes access RTTs between two homes, and one home RTT to the services', () => {
    const paths = createPathModel(
      scenarioSpec('lab-internet-vod', { viewers: 2 }).population,
      () => ({
        cellular: false,
      }),
    );
    expect(paths.rttMs(host(80), host(38))).toBe(118);
    // Hosts of a drawn population keep RTTs by region.
    expect(paths.rttMs(host(null), host(null))).toBe(170);
  });

  it('runs the quick population: each viewer watches its 25 s; no NATed-out viewer trades bytes', async () => {
    const spec = scenarioSpec('lab-internet-vod', { viewers: 6, watchSec: 25 });
    const result = await simulate(spec);
    expect(result.viewers).toHaveLength(6);
    expect(result.viewers.map((v) => [v.nat, v.uplinkBitsPerSec])).toEqual(
      drawPopulation(6, 1).map((v) => [v.home.nat, v.home.upMbit * 1e6]),
    );
    for (const viewer of result.viewers) {
      expect(viewer.leftAtSec! - viewer.joinedAtSec).toBeCloseTo(25, 3);
      expect(viewer.startupMs).not.toBeNull();
      if (viewer.nat !== 'cone') {
        expect(viewer.p2pBytes).toBe(0);
        expect(viewer.uploadedBytes).toBe(0);
      }
    }
    expect(result.totals.offload).toBeGreaterThan(0);
    const uploaded = result.viewers.reduce((sum, v) => sum + v.uploadedBytes, 0);
    expect(uploaded).toBeGreaterThanOrEqual(result.totals.p2pBytes);
  });
});
