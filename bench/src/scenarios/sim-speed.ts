import { resolve } from 'node:path';
import { parseFlags } from '../lib/flags.js';
import type { Scenario } from '../lib/scenario.js';
import { writeResults } from '../lib/results.js';
import { formatTable } from '../lib/stats.js';
import {
  estimateTargets,
  medians,
  runSpeedWorker,
  SIM_SPEED_FLAGS_HELP,
  simSpeedFlags,
  type SpeedRunFigures,
} from '../sim/speed.js';

const spread = (values: number[]): string =>
  values.length > 1 ? ` (${Math.min(...values).toFixed(1)}–${Math.max(...values).toFixed(1)})` : '';

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
    const runs: SpeedRunFigures[] = [];
    for (const viewers of options.sizes)
      for (let round = 1; round <= options.rounds; round++) {
        say(
          `${options.scenario}: ${viewers} viewers × ${options.duration_sec} s, player tick ${options.player_tick_ms} ms, round ${round}…`,
        );
        const run = await runSpeedWorker(
          {
            scenario: options.scenario,
            viewers,
            durationSec: options.duration_sec,
            uplinks: options.uplinks,
            playerTickMs: options.player_tick_ms,
          },
          nodeFlags,
        );
        runs.push(run);
        say(
          `  wall ${run.wallSec.toFixed(1)} s, cpu ${run.cpuSec.toFixed(1)} s, ${run.viewerSecPerCpuSec.toFixed(0)} viewer-s/cpu-s, RSS ${run.peakRssMiB.toFixed(0)} MiB`,
        );
      }
    const table = medians(runs);
    say('');
    for (const line of formatTable(
      table.map((m) => {
        const rounds = runs.filter((r) => r.viewers === m.viewers);
        return {
          viewers: m.viewers,
          'sim s': m.durationSec,
          'byte scale': m.byteScale,
          'player tick ms': m.playerTickMs,
          rounds: rounds.length,
          'wall s': m.wallSec.toFixed(1) + spread(rounds.map((r) => r.wallSec)),
          'cpu s': m.cpuSec.toFixed(1) + spread(rounds.map((r) => r.cpuSec)),
          'viewer-s per cpu-s': m.viewerSecPerCpuSec.toFixed(0),
          'events per cpu-s': m.eventsPerCpuSec.toFixed(0),
          'events per wall-s': m.eventsPerWallSec.toFixed(0),
          'peak RSS MiB': m.peakRssMiB.toFixed(0),
          offload: `${(m.outcome.offload * 100).toFixed(1)}%`,
          'stalled viewers': m.outcome.viewersWithStalls,
        };
      }),
    ).split('\n'))
      say(line);
    const targets = estimateTargets(table);
    say('');
    for (const t of targets)
      say(
        `target ${t.viewers.toLocaleString('en')} viewers × ${t.simSec} s in ${t.targetWallSec} s${
          t.targetRssMiB ? ` and ${(t.targetRssMiB / 1024).toFixed(0)} GiB` : ''
        }: ${t.basis === 'measured' ? 'MEASURED' : `EXTRAPOLATED from ${t.fromViewers} viewers`} ${t.cpuSec.toFixed(0)} CPU-s (${(t.cpuSec / t.targetWallSec).toFixed(1)}× the target time), wall ${t.wallSec.toFixed(0)} s (${(t.wallSec / t.targetWallSec).toFixed(1)}×), RSS ${(t.rssMiB / 1024).toFixed(1)} GiB`,
      );
    const path = writeResults(options.out, { options, runs, medians: table, targets });
    say(`results: ${path}`);
  },
};

export default scenario;
