import type { SpeedRunFigures } from './speed.js';

/** One audience and seed run both ways: the cohort approximation beside full fidelity. */
export interface CohortComparison {
  readonly viewers: number;
  /** 'mean' for the mean over the seeds of one audience size. */
  readonly seed: number | 'mean';
  readonly cohortViewers: number;
  readonly cohorts: number;
  readonly full: ComparedOutcome;
  readonly cohort: ComparedOutcome;
  /** Cohort minus full: offload and stalled share in percentage points, CDN egress in %. */
  readonly delta: {
    readonly offloadPoints: number;
    readonly cdnEgressPercent: number;
    readonly stalledSharePoints: number;
    readonly startupP50Ms: number;
  };
}

export interface ComparedOutcome {
  readonly offload: number;
  readonly cdnEgressBytes: number;
  readonly stalledShare: number;
  readonly startupMsP50: number;
  readonly cpuSec: number;
}

const outcomeOf = (run: SpeedRunFigures): ComparedOutcome => ({
  offload: run.outcome.offload,
  cdnEgressBytes: run.outcome.cdnEgressBytes,
  stalledShare: run.outcome.stalledShare,
  startupMsP50: run.outcome.startupMsP50,
  cpuSec: run.cpuSec,
});

function deltaOf(full: ComparedOutcome, cohort: ComparedOutcome): CohortComparison['delta'] {
  return {
    offloadPoints: (cohort.offload - full.offload) * 100,
    cdnEgressPercent: ((cohort.cdnEgressBytes - full.cdnEgressBytes) / full.cdnEgressBytes) * 100,
    stalledSharePoints: (cohort.stalledShare - full.stalledShare) * 100,
    startupP50Ms: cohort.startupMsP50 - full.startupMsP50,
  };
}

function meanOutcome(outcomes: readonly ComparedOutcome[]): ComparedOutcome {
  const mean = (pick: (o: ComparedOutcome) => number) =>
    outcomes.reduce((sum, o) => sum + pick(o), 0) / outcomes.length;
  return {
    offload: mean((o) => o.offload),
    cdnEgressBytes: mean((o) => o.cdnEgressBytes),
    stalledShare: mean((o) => o.stalledShare),
    startupMsP50: mean((o) => o.startupMsP50),
    cpuSec: mean((o) => o.cpuSec),
  };
}

/**
 * Pairs each cohort run with the full-fidelity run of the same audience, duration and seed
 * (first round of each), and adds per audience size the mean over its seeds.
 */
export function compareCohortRuns(runs: readonly SpeedRunFigures[]): CohortComparison[] {
  const rows: CohortComparison[] = [];
  const sizes = [...new Set(runs.map((r) => r.viewers))].sort((a, b) => a - b);
  for (const viewers of sizes) {
    const pairs: CohortComparison[] = [];
    for (const cohortRun of runs.filter((r) => r.viewers === viewers && r.mode === 'cohort')) {
      const fullRun = runs.find(
        (r) =>
          r.mode === 'full' &&
          r.viewers === viewers &&
          r.seed === cohortRun.seed &&
          r.durationSec === cohortRun.durationSec,
      );
      if (!fullRun) continue;
      if (pairs.some((p) => p.seed === cohortRun.seed)) continue;
      const full = outcomeOf(fullRun);
      const cohort = outcomeOf(cohortRun);
      pairs.push({
        viewers,
        seed: cohortRun.seed,
        cohortViewers: cohortRun.cohortViewers ?? 0,
        cohorts: cohortRun.cohorts ?? 1,
        full,
        cohort,
        delta: deltaOf(full, cohort),
      });
    }
    rows.push(...pairs);
    if (pairs.length > 1) {
      const full = meanOutcome(pairs.map((p) => p.full));
      const cohort = meanOutcome(pairs.map((p) => p.cohort));
      rows.push({ ...pairs[0]!, seed: 'mean', full, cohort, delta: deltaOf(full, cohort) });
    }
  }
  return rows;
}
