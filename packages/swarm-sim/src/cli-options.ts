import { parseArgs } from 'node:util';
import { SCENARIOS, ScenarioError, scenarioSpec } from './scenarios.js';
import { cohortPlan, CohortError } from './cohort-scaling.js';
import { cohortRefusal, type CohortOptions } from './simulate-cohort.js';
import type { SimSpec } from './spec.js';

export const CLI_HELP = `coral-sim: simulate a Coral swarm with the real P2P engine

  --viewers N          audience size (default 1000)
  --scenario NAME      ${SCENARIOS.map((s) => s.name).join(' | ')} (default live-flash-crowd)
  --uplinks MIX        residential | dsl-heavy | lab (default: residential; lab-* scenarios: lab)
  --renditions LIST    e.g. 720p,480p,240p (default: the scenario's)
  --bitrate-kbps K     lab scenarios: the one rendition's bitrate
  --duration-sec S     simulated time (default 600)
  --watch-sec S        lab-internet scenarios: each viewer watches S s (default 40; bench --quick: 25)
  --window-sec S       lab scenarios: measured window after all viewers play (default 30)
  --byte-scale K       each payload byte stands for K wire bytes (default: 1 up to 200 viewers, else 64)
  --player-tick-ms MS  the player's tick (default 100); more is a coarser, faster approximation
                       for large audiences (docs/simulator.md, "Speed", measures what it changes)
  --cohort-size M      APPROXIMATION for large live audiences: simulate cohorts of M sampled
                       viewers in full fidelity and scale them to --viewers (default: off, every
                       viewer simulated); docs/simulator.md, "Cohort mode", gives its validation
  --cohorts K          with --cohort-size: K independent cohorts of M (default 1)
  --cohort-unstratified  with --cohort-size: draw each cohort's viewers independently instead
                       of stratified by access class, uplink, region, NAT and rendition
  --cohort-no-stand-ins  with --cohort-size: let each cohort's swarm elect all its candidates
                       itself instead of the audience's proportion (with stand-ins for the rest)
  --sample-sec S       time-series step (default 5; lab: 2)
  --seed N             population and run seed (default 1)
  --cdn-only           P2P off (the baseline)
  --out FILE           write the full result as JSON
  --quiet              no progress lines
  --help`;

export class CliError extends Error {
  override readonly name = 'CliError';
}

export interface CliOptions {
  readonly spec: SimSpec;
  /** Null: full fidelity (every viewer simulated). */
  readonly cohort: Required<CohortOptions> | null;
  readonly out: string | null;
  readonly quiet: boolean;
  readonly help: boolean;
}

function numberFlag(
  name: string,
  raw: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < min || value > max)
    throw new CliError(`--${name} must be a number in ${min}..${max}, got "${raw}"`);
  return value;
}

/** Parse the command line once; a bad value throws CliError naming the flag. */
export function parseCli(argv: readonly string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        viewers: { type: 'string' },
        scenario: { type: 'string' },
        uplinks: { type: 'string' },
        renditions: { type: 'string' },
        'bitrate-kbps': { type: 'string' },
        'duration-sec': { type: 'string' },
        'window-sec': { type: 'string' },
        'watch-sec': { type: 'string' },
        'byte-scale': { type: 'string' },
        'sample-sec': { type: 'string' },
        'player-tick-ms': { type: 'string' },
        'cohort-size': { type: 'string' },
        cohorts: { type: 'string' },
        'cohort-unstratified': { type: 'boolean' },
        'cohort-no-stand-ins': { type: 'boolean' },
        seed: { type: 'string' },
        'cdn-only': { type: 'boolean' },
        out: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    });
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  const v = parsed.values;
  const viewers = numberFlag('viewers', v.viewers, 1, 10_000_000) ?? 1000;
  if (!Number.isInteger(viewers)) throw new CliError('--viewers must be a whole number');
  const bitrateKbps = numberFlag('bitrate-kbps', v['bitrate-kbps'], 16, 100_000);
  const byteScale = numberFlag('byte-scale', v['byte-scale'], 1, 1024);
  if (byteScale !== undefined && !Number.isInteger(byteScale))
    throw new CliError('--byte-scale must be a whole number');
  const durationSec = numberFlag('duration-sec', v['duration-sec'], 1, 86_400);
  const windowSec = numberFlag('window-sec', v['window-sec'], 1, 3600);
  const watchSec = numberFlag('watch-sec', v['watch-sec'], 1, 86_400);
  const sampleSec = numberFlag('sample-sec', v['sample-sec'], 0.5, 600);
  const seed = numberFlag('seed', v.seed, 0, 2 ** 31);
  const playerTickMs = numberFlag('player-tick-ms', v['player-tick-ms'], 10, 5000);
  let spec: SimSpec;
  try {
    spec = scenarioSpec(v.scenario ?? 'live-flash-crowd', {
      viewers,
      ...(durationSec !== undefined ? { durationSec } : {}),
      ...(v.uplinks !== undefined ? { uplinks: v.uplinks } : {}),
      ...(v.renditions !== undefined
        ? { renditions: v.renditions.split(',').map((r) => r.trim()) }
        : {}),
      ...(bitrateKbps !== undefined ? { bitrateBitsPerSec: bitrateKbps * 1000 } : {}),
      ...(byteScale !== undefined ? { byteScale } : {}),
      ...(windowSec !== undefined ? { windowSec } : {}),
      ...(watchSec !== undefined ? { watchSec } : {}),
      ...(sampleSec !== undefined ? { sampleSec } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(playerTickMs !== undefined ? { playerTickMs } : {}),
      p2p: v['cdn-only'] !== true,
    });
  } catch (error) {
    if (error instanceof ScenarioError) throw new CliError(error.message);
    throw error;
  }
  const cohort = cohortFlags(spec, v['cohort-size'], v.cohorts, {
    stratified: v['cohort-unstratified'] !== true,
    standIns: v['cohort-no-stand-ins'] !== true,
  });
  return { spec, cohort, out: v.out ?? null, quiet: v.quiet === true, help: v.help === true };
}

function cohortFlags(
  spec: SimSpec,
  rawSize: string | undefined,
  rawCohorts: string | undefined,
  { stratified, standIns }: { stratified: boolean; standIns: boolean },
): Required<CohortOptions> | null {
  const cohortViewers = numberFlag('cohort-size', rawSize, 2, 10_000_000);
  const cohorts = numberFlag('cohorts', rawCohorts, 1, 1000);
  if (cohortViewers === undefined) {
    if (cohorts !== undefined || !stratified || !standIns)
      throw new CliError(
        '--cohorts, --cohort-unstratified and --cohort-no-stand-ins need --cohort-size',
      );
    return null;
  }
  if (!Number.isInteger(cohortViewers) || (cohorts !== undefined && !Number.isInteger(cohorts)))
    throw new CliError('--cohort-size and --cohorts take whole numbers');
  const refusal = cohortRefusal(spec);
  if (refusal) throw new CliError(`--cohort-size: ${refusal}`);
  try {
    const plan = cohortPlan(spec.audience.viewers, cohortViewers, cohorts ?? 1);
    return { cohortViewers: plan.cohortViewers, cohorts: plan.cohorts, stratified, standIns };
  } catch (error) {
    if (error instanceof CohortError) throw new CliError(`--cohort-size: ${error.message}`);
    throw error;
  }
}
