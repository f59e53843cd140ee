import { describe, expect, it } from 'vitest';
import { FlagError, parseFlags } from '../src/lib/flags.js';
import { compareCohortRuns } from '../src/sim/cohort-compare.js';
import { estimateTargets, medians, simSpeedFlags, type SpeedRunFigures } from '../src/sim/speed.js';

const run = (viewers: number, over: Partial<SpeedRunFigures> = {}): SpeedRunFigures => ({
  viewers,
  seed: 1,
  mode: 'full',
  cohortViewers: null,
  cohorts: null,
  durationSec: 60,
  byteScale: 64,
  playerTickMs: 100,
  nodeFlags: [],
  wallSec: 10,
  cpuSec: 10,
  viewerSec: viewers * 60,
  viewerSecPerCpuSec: (viewers * 60) / 10,
  events: 1000,
  eventsPerCpuSec: 100,
  eventsPerWallSec: 100,
  flowRecomputes: 0,
  peakRssMiB: 100 + viewers / 10,
  outcome: {
    offload: 0.5,
    segmentsFromP2p: 1,
    cdnEgressBytes: 1,
    viewersWithStalls: 0,
    stalledShare: 0,
    startupMsP50: 1,
    peerConnectionsOpened: 1,
  },
  ...over,
});

describe('sim-speed benchmark', () => {
  it('defaults to 1,000 and 3,000 viewers × 60 s of a live flash crowd', () => {
    const options = parseFlags(simSpeedFlags, {});
    expect(options.sizes).toEqual([1000, 3000]);
    expect(options.duration_sec).toBe(60);
    expect(options.scenario).toBe('live-flash-crowd');
  });

  it.each([
    [{ sizes: '10,abc' }, /--sizes/],
    [{ scenario: 'vod' }, /--scenario: takes a live scenario/],
    [{ uplinks: 'fibre' }, /--uplinks/],
    [{ cpu_prof: 'true' }, /--cpu-prof: needs a folder/],
    [{ frobnicate: '1' }, /unknown flag --frobnicate/],
  ])('refuses %j naming the flag', (flags, message) => {
    expect(() => parseFlags(simSpeedFlags, flags)).toThrow(FlagError);
    expect(() => parseFlags(simSpeedFlags, flags)).toThrow(message);
  });

  it('extrapolates from the largest run and says so', () => {
    const [tenK, hundredK] = estimateTargets([
      run(1000),
      run(3000, { cpuSec: 36, viewerSecPerCpuSec: 5000 }),
    ]);
    expect(tenK!.basis).toBe('extrapolated');
    expect(tenK!.fromViewers).toBe(3000);
    // 3,000 × 60 viewer-s in 36 CPU-s = 5,000 per CPU-s; 6e6 viewer-s need 1,200 CPU-s.
    expect(tenK!.cpuSec).toBeCloseTo(1200, 0);
    expect(tenK!.headroom).toBeCloseTo(0.1, 3);
    // 180,000 viewer-s in 10 wall-s: 6e6 viewer-s in 333 s.
    expect(tenK!.wallSec).toBeCloseTo(333.3, 0);
    // RSS on the line through both runs: 100 MiB + 0.1 MiB per viewer.
    expect(hundredK!.rssMiB).toBeCloseTo(100 + 10_000, 0);
  });

  it('reports a target as measured only when a run of its size and length was made', () => {
    const measured = run(10_000, { durationSec: 600, cpuSec: 100 });
    const [tenK] = estimateTargets([run(1000), measured]);
    expect(tenK!.basis).toBe('measured');
    expect(tenK!.cpuSec).toBe(100);
  });

  it('takes the median of rounds per size', () => {
    const [m] = medians([run(1000, { cpuSec: 9 }), run(1000, { cpuSec: 30 }), run(1000)]);
    expect(m!.cpuSec).toBe(10);
  });

  it('keeps full-fidelity and cohort runs apart in medians and targets', () => {
    const cohort = (viewers: number, over: Partial<SpeedRunFigures> = {}) =>
      run(viewers, {
        mode: 'cohort',
        cohortViewers: 250,
        cohorts: 1,
        viewerSec: 250 * 60,
        ...over,
      });
    expect(medians([run(1000), cohort(1000)])).toHaveLength(2);
    const targets = estimateTargets([run(1000), cohort(1000, { viewerSecPerCpuSec: 1500 })]);
    expect(targets.map((t) => t.mode)).toEqual(['full', 'full', 'cohort', 'cohort']);
    // A cohort run simulates M viewers whatever the audience: 250 × 600 viewer-s at 1,500 per
    // CPU-s is 100 CPU-s for 10,000 and 100,000 viewers alike.
    expect(targets[2]!.cpuSec).toBeCloseTo(100, 6);
    expect(targets[3]!.cpuSec).toBeCloseTo(100, 6);
    expect(targets[3]!.rssMiB).toBe(cohort(1000).peakRssMiB);
  });

  it('sets cohort runs beside the full run of the same size and seed, with a mean per size', () => {
    const out = (offload: number, cdn: number, stalled: number) => ({
      ...run(1).outcome,
      offload,
      cdnEgressBytes: cdn,
      stalledShare: stalled,
    });
    const cohort = { mode: 'cohort' as const, cohortViewers: 250, cohorts: 1 };
    const rows = compareCohortRuns([
      run(1000, { outcome: out(0.6, 100, 0.02) }),
      run(1000, { ...cohort, outcome: out(0.58, 104, 0.03) }),
      run(1000, { seed: 2, outcome: out(0.62, 90, 0.02) }),
      run(1000, { seed: 2, ...cohort, outcome: out(0.63, 88, 0.02) }),
      run(3000, { ...cohort, outcome: out(0.5, 1, 0) }),
    ]);
    expect(rows.map((r) => r.seed)).toEqual([1, 2, 'mean']);
    expect(rows[0]!.delta.offloadPoints).toBeCloseTo(-2, 9);
    expect(rows[0]!.delta.cdnEgressPercent).toBeCloseTo(4, 9);
    expect(rows[0]!.delta.stalledSharePoints).toBeCloseTo(1, 9);
    expect(rows[2]!.delta.offloadPoints).toBeCloseTo(-0.5, 9);
  });
});
