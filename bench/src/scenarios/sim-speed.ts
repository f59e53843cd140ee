import { resolve } from 'node:path';
import { FlagError, parseFlags } from '../lib/flags.js';
import type { Scenario } from '../lib/scenario.js';
import { writeResults } from '../lib/results.js';
import { formatTable } from '../lib/stats.js';
import { compareCohortRuns, type CohortComparison } from '../sim/cohort-compare.js';
import {
  estimateTargets,
  medians,
  runKey,
  runSpeedWorker,
  SIM_SPEED_FLAGS_HELP,
  simSpeedFlags,
  type SpeedRunFigures,
} from '../sim/speed.js';

const spread = (values: number[]): string =>
  values.length > 1 ? ` (${Math.min(...values).toFixed(1)}–${Math.max(...values).toFixed(1)})` : '';

const pct = (value: number): string => `${(value * 100).toFixed(1)}%`;
const signed = (value: number, digits = 1): string =>
  `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(digits)}`;

function comparisonRows(rows: readonly CohortComparison[]): Record<string, string | number>[] {
  return rows.map((c) => ({
    viewers: c.viewers,
    seed: c.seed,
    cohort: `${c.cohorts}×${c.cohortViewers}`,
    'offload full': pct(c.full.offload),
    'offload cohort': pct(c.cohort.offload),
    'Δ pts': signed(c.delta.offloadPoints),
    'CDN GB full': (c.full.cdnEgressBytes / 1e9).toFixed(3),
    'CDN GB cohort': (c.cohort.cdnEgressBytes / 1e9).toFixed(3),
    'Δ %': signed(c.delta.cdnEgressPercent),
    'stalled full': pct(c.full.stalledShare),
    'stalled cohort': pct(c.cohort.stalledShare),
    'Δ pts ': signed(c.delta.stalledSharePoints),
    'start-up p50 full/cohort ms': `${c.full.startupMsP50.toFixed(0)} / ${c.cohort.startupMsP50.toFixed(0)}`,
    'cpu s full/cohort': `${c.full.cpuSec.toFixed(1)} / ${c.cohort.cpuSec.toFixed(1)}`,
  }));
}

/**
 * The simulator's speed: N viewers × M simulated seconds of a live scenario, each run in its
 * own process; wall and CPU time, viewer-seconds per CPU-second, events per second, peak RSS,
 * and how far the issue's targets (10,000 × 10 min in 2 min; 100,000 × 10 min in 20 min and
 * 16 GB) are, measured where a run of that size was made and extrapolated (said so) otherwise.
 */
const scenario: Scenario = {
  name: 'sim-speed',
  description: 'swarm simulator speed: viewer-seconds per CPU-second, RSS, the 10k/100k targets',
  async run(args) {
    const { list: _list, help, ...flags } = args;
    if (help === 'true') {
      process.stdout.write(`${SIM_SPEED_FLAGS_HELP}\n`);
      return;
    }
    const options = parseFlags(simSpeedFlags, flags);
    const baseDir = process.env.INIT_CWD ?? process.cwd();
    const nodeFlags = [
      ...(options.semi_space_mib > 0 ? [`--max-semi-space-size=${options.semi_space_mib}`] : []),
      ...(options.cpu_prof
        ? ['--cpu-prof', `--cpu-prof-dir=${resolve(baseDir, options.cpu_prof)}`]
        : []),
      ...(options.heap_prof
        ? ['--heap-prof', `--heap-prof-dir=${resolve(baseDir, options.heap_prof)}`]
        : []),
    ];
    const say = (line: string) => process.stdout.write(`  ${line}\n`);
    if (options.compare_full && options.cohort_size === undefined)
      throw new FlagError('--compare-full needs --cohort-size');
    const modes: (number | null)[] =
      options.cohort_size === undefined
        ? [null]
        : options.compare_full
          ? [null, options.cohort_size]
          : [options.cohort_size];
    const runs: SpeedRunFigures[] = [];
    for (const viewers of options.sizes)
      for (const seed of options.seeds)
        for (const cohortViewers of modes)
          for (let round = 1; round <= options.rounds; round++) {
            const mode =
              cohortViewers === null
                ? 'full fidelity'
                : `COHORT APPROXIMATION, ${options.cohorts} × ${cohortViewers}`;
            say(
              `${options.scenario}: ${viewers} viewers × ${options.duration_sec} s, seed ${seed}, ${mode}, player tick ${options.player_tick_ms} ms, round ${round}…`,
            );
            const run = await runSpeedWorker(
              {
                scenario: options.scenario,
                viewers,
                durationSec: options.duration_sec,
                uplinks: options.uplinks,
                playerTickMs: options.player_tick_ms,
                seed,
                cohortViewers,
                cohorts: options.cohorts,
              },
              nodeFlags,
            );
            runs.push(run);
            say(
              `  wall ${run.wallSec.toFixed(1)} s, cpu ${run.cpuSec.toFixed(1)} s, ${run.viewerSecPerCpuSec.toFixed(0)} viewer-s/cpu-s, RSS ${run.peakRssMiB.toFixed(0)} MiB, offload ${pct(run.outcome.offload)}`,
            );
          }
    const table = medians(runs);
    say('');
    for (const line of formatTable(
      table.map((m) => {
        const rounds = runs.filter((r) => runKey(r) === runKey(m));
        return {
          viewers: m.viewers,
          mode: m.mode === 'cohort' ? `COHORT ${m.cohorts}×${m.cohortViewers}` : 'full',
          seed: m.seed,
          'sim s': m.durationSec,
          'byte scale': m.byteScale,
          'player tick ms': m.playerTickMs,
          rounds: rounds.length,
          'wall s': m.wallSec.toFixed(1) + spread(rounds.map((r) => r.wallSec)),
          'cpu s': m.cpuSec.toFixed(1) + spread(rounds.map((r) => r.cpuSec)),
          'viewer-s per cpu-s': m.viewerSecPerCpuSec.toFixed(0),
          'events per cpu-s': m.eventsPerCpuSec.toFixed(0),
          'peak RSS MiB': m.peakRssMiB.toFixed(0),
          offload: pct(m.outcome.offload),
          'CDN GB': (m.outcome.cdnEgressBytes / 1e9).toFixed(3),
          'stalled viewers': m.outcome.viewersWithStalls,
        };
      }),
    ).split('\n'))
      say(line);
    const comparison = compareCohortRuns(runs);
    if (comparison.length > 0) {
      say('');
      say('cohort approximation against full fidelity (same audience, duration and seed):');
      for (const line of formatTable(comparisonRows(comparison)).split('\n')) say(line);
    }
    const targets = estimateTargets(table);
    say('');
    for (const t of targets)
      say(
        `target ${t.viewers.toLocaleString('en')} viewers × ${t.simSec} s in ${t.targetWallSec} s${
          t.targetRssMiB ? ` and ${(t.targetRssMiB / 1024).toFixed(0)} GiB` : ''
        }, ${t.mode === 'cohort' ? `COHORT APPROXIMATION (${t.cohorts} × ${t.cohortViewers})` : 'full fidelity'}: ${t.basis === 'measured' ? 'MEASURED' : `EXTRAPOLATED from ${t.fromViewers} viewers`} ${t.cpuSec.toFixed(0)} CPU-s (${(t.cpuSec / t.targetWallSec).toFixed(2)}× the target time), wall ${t.wallSec.toFixed(0)} s (${(t.wallSec / t.targetWallSec).toFixed(2)}×), RSS ${(t.rssMiB / 1024).toFixed(2)} GiB`,
      );
    const path = writeResults(options.out, {
      options,
      runs,
      medians: table,
      comparison,
      targets,
    });
    say(`results: ${path}`);
  },
};

export default scenario;
