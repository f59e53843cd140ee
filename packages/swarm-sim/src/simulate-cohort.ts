import { combineCohorts } from './cohort-combine.js';
import { cohortPlan, CohortError } from './cohort-scaling.js';
import type { ViewerProfile } from './population.js';
import { seededRandom } from './random.js';
import { simulate, type SimResult } from './simulate.js';
import { stratifiedProfiles } from './stratified-population.js';
import type { SimSpec } from './spec.js';

export interface CohortOptions {
  /** M: viewers simulated in each cohort. */
  readonly cohortViewers: number;
  /** K: cohorts, each its own swarm with its own seed (default 1). */
  readonly cohorts?: number;
  /** Stratified cohorts (default true): see `stratifiedProfiles`. */
  readonly stratified?: boolean;
  /**
   * Stand-ins for the audience's election candidates outside the cohort (default true; see
   * `cohort-election.ts`).
   */
  readonly standIns?: boolean;
}

/**
 * The spec of cohort `index`: the audience's spec (its byte scale, renditions, population and
 * arrival laws) with M viewers and, past the first cohort, a seed of its own. Cohort 0 keeps the
 * audience's seed, so a cohort as large as the audience is the full-fidelity run. Stratified
 * (the default for cohorts smaller than the audience), its viewers are `stratifiedProfiles`:
 * one block of M per audience turnover (churn replaces leavers), drawn past the last block.
 */
export function cohortRunSpec(
  spec: SimSpec,
  cohortViewers: number,
  index: number,
  stratified = cohortViewers < spec.audience.viewers,
  standIns = false,
): SimSpec {
  const seed = index === 0 ? spec.seed : (spec.seed + index * 0x9e3779b1) >>> 0;
  const run: SimSpec = {
    ...spec,
    seed,
    audience: { ...spec.audience, viewers: cohortViewers },
    ...(standIns ? { cohortWeight: spec.audience.viewers / cohortViewers } : {}),
  };
  if (!stratified) return run;
  const random = seededRandom(seed ^ 0x57a7);
  const turnovers = Number.isFinite(spec.audience.meanSessionSec)
    ? Math.min(20, Math.ceil(spec.durationSec / spec.audience.meanSessionSec) + 2)
    : 1;
  const homes: ViewerProfile[] = [];
  for (let block = 0; block < turnovers; block++)
    homes.push(...stratifiedProfiles(random, spec.population, cohortViewers));
  return { ...run, homes };
}

/** Why a spec cannot run as cohorts (null: it can). */
export function cohortRefusal(spec: SimSpec): string | null {
  if (!spec.live)
    return 'cohort mode is for live scenarios (its one-copy-per-swarm correction is for live segments)';
  if (spec.homes !== undefined || spec.measureWindowSec !== null)
    return 'cohort mode does not apply to the lab scenarios (they are small; run them in full)';
  return null;
}

/**
 * Estimate a large live audience from K full-fidelity cohorts of M viewers (see
 * `cohort-scaling.ts` for what is scaled and corrected). The result says so in `approximation`.
 */
export async function simulateCohort(
  spec: SimSpec,
  options: CohortOptions,
  onProgress: (line: string) => void = () => undefined,
): Promise<SimResult> {
  const refusal = cohortRefusal(spec);
  if (refusal) throw new CohortError(refusal);
  const plan = cohortPlan(spec.audience.viewers, options.cohortViewers, options.cohorts ?? 1);
  const stratified = (options.stratified ?? true) && plan.weight > 1;
  const standIns = (options.standIns ?? true) && plan.weight > 1;
  const wallStart = performance.now();
  const results: SimResult[] = [];
  for (let index = 0; index < plan.cohorts; index++) {
    onProgress(
      `cohort ${index + 1}/${plan.cohorts}: ${plan.cohortViewers} viewers standing for ${plan.weight.toFixed(2)} each`,
    );
    results.push(
      await simulate(cohortRunSpec(spec, plan.cohortViewers, index, stratified, standIns), (line) =>
        onProgress(`cohort ${index + 1}: ${line}`),
      ),
    );
  }
  const wallSec = (performance.now() - wallStart) / 1000;
  return combineCohorts(spec, plan.cohortViewers, results, wallSec, { stratified, standIns });
}
