import { describe, expect, it } from 'vitest';
import { perNodeComparisons } from '../src/tracker/per-node.js';
import { nodesOf, type RunFigures, type TrackerKind } from '../src/tracker/run-tracker-bench.js';

function sample(tracker: TrackerKind, nodes: number, announcesPerSec: number): RunFigures {
  return {
    tracker,
    peers: 1000,
    nodes,
    joinSec: 1,
    rssMiB: 50,
    peakRssMiB: 60,
    announcesPerSec,
    announcesPerSecPerNode: Math.round(announcesPerSec / nodes),
    announceDrainMs: 0,
    announceServerCpuPct: 100,
    announcesPerCpuSec: announcesPerSec,
    queriesPerSec: 1,
    queryServerCpuPct: 1,
    queriesPerCpuSec: 1,
    relaySent: 1,
    relayDelivered: 1,
    relayP50Ms: 1,
    relayP99Ms: 1,
    relayServerCpuPct: 1,
  };
}

describe('tracker benchmark: announces/s per node', () => {
  it('runs several nodes only on a shared store', () => {
    expect(nodesOf('coral', 2)).toBe(1);
    expect(nodesOf('bittorrent', 2)).toBe(1);
    expect(nodesOf('coral-redis', 2)).toBe(2);
    expect(nodesOf('coral-redis-cluster', 3)).toBe(3);
  });

  it('compares each Redis kind per node with memory mode, over the rounds', () => {
    const samples = [
      sample('coral', 1, 100_000),
      sample('coral-redis', 2, 60_000),
      sample('coral-redis-cluster', 2, 50_000),
      sample('coral', 1, 120_000),
      sample('coral-redis', 2, 80_000),
      sample('coral-redis-cluster', 2, 40_000),
      sample('coral', 1, 110_000),
      sample('coral-redis', 2, 70_000),
      sample('coral-redis-cluster', 2, 44_000),
      sample('bittorrent', 1, 1),
    ];
    const [redis, cluster] = perNodeComparisons(samples);
    expect(redis).toMatchObject({
      tracker: 'coral-redis',
      nodes: 2,
      rounds: 3,
      perNode: 35_000,
      memory: 110_000,
      ratio: 0.318,
    });
    expect(redis!.interval!.low).toBeLessThanOrEqual(0.318);
    expect(redis!.interval!.high).toBeGreaterThanOrEqual(0.318);
    expect(cluster).toMatchObject({ tracker: 'coral-redis-cluster', perNode: 22_000, ratio: 0.2 });
  });

  it('has nothing to compare without memory mode or with one round no interval', () => {
    expect(perNodeComparisons([sample('coral-redis', 1, 10)])).toEqual([]);
    const [one] = perNodeComparisons([sample('coral', 1, 10), sample('coral-redis', 1, 5)]);
    expect(one).toMatchObject({ ratio: 0.5, rounds: 1, interval: null });
  });
});
