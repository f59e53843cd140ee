import type { Scenario } from '../lib/scenario.js';
import { writeResultFile, writeResults } from '../lib/results.js';
import { formatTable } from '../lib/stats.js';
import { egressChart, offloadChart } from '../sim/charts.js';
import { parseSimOptions, SIM_FLAGS_HELP, SimOptionsError } from '../sim/options.js';
import {
  ReferenceError,
  referenceFromSwarmResult,
  storedReferences,
  type ReferenceFile,
} from '../sim/reference.js';
import {
  internetReferenceFromResult,
  internetScenarios,
  storedInternetReferences,
  type InternetReference,
} from '../sim/internet-reference.js';
import {
  internetReasonsTable,
  internetTable,
  validateInternet,
  type InternetValidationRow,
} from '../sim/internet-validation.js';
import { runPoint, type SweepPoint } from '../sim/sweep.js';
import { validateRun, type ValidationRow } from '../sim/validation.js';

const pct = (value: number) => `${(value * 100).toFixed(1)}%`;

/**
 * The swarm simulator: (1) validation, the werift/browser swarm benchmark's scenarios run in
 * the simulator and printed beside the benchmark's own figures (kept in bench/src/sim/reference,
 * or a fresh `--reference` result); (2) a sweep of audience sizes with offload against the
 * fluid bound and CDN egress over the event (SVG charts); (3) what each run cost (wall, CPU,
 * RSS, viewer-seconds per CPU-second) and what that projects for the speed targets.
 */
const scenario: Scenario = {
  name: 'sim',
  description:
    'swarm simulator: validation against the swarm benchmark, offload vs audience size, speed',
  async run(args) {
    const { list: _list, help, ...flags } = args;
    if (help === 'true') {
      process.stdout.write(`${SIM_FLAGS_HELP}\n`);
      return;
    }
    let options;
    let references: ReferenceFile[];
    let internetReferences: InternetReference[];
    try {
      options = parseSimOptions(flags);
      references = storedReferences();
      if (options.reference) references.push(referenceFromSwarmResult(options.reference));
      internetReferences = storedInternetReferences();
      if (options.internetReference)
        internetReferences.push(internetReferenceFromResult(options.internetReference));
    } catch (error) {
      if (!(error instanceof SimOptionsError) && !(error instanceof ReferenceError)) throw error;
      process.stderr.write(`sim: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    const say = (line: string) => process.stdout.write(`  ${line}\n`);
    const validation: ValidationRow[] = [];
    const internetValidation: InternetValidationRow[] = [];
    if (options.validation) {
      for (const reference of references)
        for (const run of reference.runs)
          for (const byteScale of options.byteScales) {
            const row = await validateRun(reference, run, byteScale);
            validation.push(row);
            say(
              `validated ${row.scenario} at byte scale ${byteScale} in ${row.simWallSec.toFixed(1)} s`,
            );
          }
      say('');
      say(
        'validation: the swarm benchmark (real werift peers) beside the simulator, same scenario',
      );
      for (const line of formatTable(
        validation.map((row) => ({
          scenario: row.scenario,
          'byte scale': row.byteScale,
          'offload win real': pct(row.realWindowOffload),
          'offload win sim': pct(row.simWindowOffload),
          'Δ points': row.deltaPoints.toFixed(1),
          'offload all real': pct(row.realWholeOffload),
          'offload all sim': pct(row.simWholeOffload),
          'stalls real/sim': `${row.realStalls}/${row.simStalls}`,
          '±5 pts': row.withinFivePoints ? 'yes' : 'NO',
          reference: row.reference,
        })),
      ).split('\n'))
        say(line);
      for (const reference of internetReferences)
        for (const scenario of internetScenarios(reference)) {
          const row = await validateInternet(reference, scenario);
          internetValidation.push(row);
        }
      say('');
      say(
        'validation: the internet benchmark (werift peers in the network lab) beside the simulator, same homes',
      );
      for (const line of formatTable(internetTable(internetValidation)).split('\n')) say(line);
      const reasons = internetReasonsTable(internetValidation);
      if (reasons.length > 0) {
        say('');
        say('why the CDN was asked, segments per round: real median (range) / sim median (range)');
        for (const line of formatTable(reasons).split('\n')) say(line);
      }
    }
    const sweep: SweepPoint[] = [];
    let largest = null;
    if (options.sweep) {
      for (const viewers of options.sizes) {
        say(
          `${options.scenario}: ${viewers} viewers, ${options.durationSec} s, uplinks ${options.uplinks}…`,
        );
        const { point, result } = await runPoint(
          options.scenario,
          viewers,
          options.durationSec,
          options.uplinks,
          (line) => say(`  ${line}`),
        );
        sweep.push(point);
        largest = result;
      }
      say('');
      for (const line of formatTable(
        sweep.map((p) => ({
          viewers: p.viewers,
          offload: pct(p.offload),
          'fluid bound': pct(p.fluidBound),
          'by rendition': Object.entries(p.offloadByRendition)
            .map(([name, value]) => `${name} ${pct(value)}`)
            .join(' '),
          'CDN GB': p.cdnEgressGB.toFixed(3),
          'start-up p50/p90 ms': `${p.startupMsP50.toFixed(0)}/${p.startupMsP90.toFixed(0)}`,
          'stalled viewers': p.viewersWithStalls,
          'tracker msg/s': p.trackerMessagesPerSecP50.toFixed(0),
          'segments P2P / CDN elected,deadline,alone,other': `${p.segmentsFromP2p} / ${[
            p.cdnReasons.elected ?? 0,
            p.cdnReasons.deadline ?? 0,
            p.cdnReasons.alone ?? 0,
            (p.cdnReasons.startup ?? 0) +
              (p.cdnReasons.unsigned ?? 0) +
              (p.cdnReasons.fallback ?? 0),
          ].join(',')}`,
          'wall s': p.speed.wallSec.toFixed(1),
          'cpu s': p.speed.cpuSec.toFixed(1),
          'RSS MiB': p.speed.peakRssMiB.toFixed(0),
          'viewer-s per cpu-s': p.speed.viewerSecPerCpuSec.toFixed(0),
        })),
      ).split('\n'))
        say(line);
      const best = Math.max(...sweep.map((p) => p.speed.viewerSecPerCpuSec));
      say('');
      say(
        `speed: best ${best.toFixed(0)} viewer-seconds per CPU-second; at that rate 10,000 viewers × 600 s need ${(6e6 / best / 60).toFixed(0)} CPU-minutes (target: under 2 wall-minutes), 100,000 × 600 s ${(6e7 / best / 60).toFixed(0)} CPU-minutes (target: under 20)`,
      );
      const svgs = [
        writeResultFile(
          `${options.out}-offload-vs-audience.svg`,
          offloadChart(
            sweep,
            `${options.scenario}, ${options.uplinks} uplinks, ${options.durationSec} s: offload vs audience`,
          ),
        ),
      ];
      if (largest)
        svgs.push(
          writeResultFile(
            `${options.out}-cdn-egress.svg`,
            egressChart(
              largest,
              `${options.scenario}, ${largest.totals.viewers} viewers: CDN egress over the event`,
            ),
          ),
        );
      say(`charts: ${svgs.join(', ')}`);
    }
    const path = writeResults(options.out, { options, validation, internetValidation, sweep });
    say(`results: ${path}`);
    if ([...validation, ...internetValidation].some((row) => !row.withinFivePoints))
      process.exitCode = 1;
  },
};

export default scenario;
