import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import {
  generateClip,
  makeTempDir,
  repoRoot,
  spawnService,
  TEST_OPERATOR_KEY,
} from '@coral-cdn/test-support';
import { z } from 'zod';
import { intFlag, parseFlags } from '../lib/flags.js';
import { writeResults } from '../lib/results.js';
import type { Scenario } from '../lib/scenario.js';
import { formatTable, median, ratio } from '../lib/stats.js';
import {
  timeByHand,
  timeThroughOrigin,
  type OriginRun,
  type PackagingPlan,
  type Timing,
} from '../packaging/runs.js';

/**
 * Packaging overhead: a 720p clip into the 3-rendition ladder (720p/480p/240p, 2 s CMAF
 * segments) through the origin (multipart upload, ffprobe, queue, ffmpeg, hashing and signing,
 * atomic publish; timed from the upload's first byte until the client sees `ready`) against
 * the very same ffmpeg command run by hand (printed by `coral-origin plan`).
 *
 * Each run is a pair (by hand, origin) back to back, alternating which goes first; the wall
 * ratio is the median of the pairs' ratios, since other work on a shared machine moves single
 * runs. CPU seconds (user + system of every process involved) are reported too: they barely
 * move with the machine's load, and show what the orchestration itself costs.
 *
 * Flags: --duration <s> (60), --runs <n> (3), --preset <x264 preset> (veryfast, the origin's
 * default).
 */
const packagingFlags = z.object({
  duration: intFlag(1, 3600, 60),
  runs: intFlag(1, 100, 3),
  preset: z
    .enum([
      'ultrafast',
      'superfast',
      'veryfast',
      'faster',
      'fast',
      'medium',
      'slow',
      'slower',
      'veryslow',
    ])
    .default('veryfast'),
});

const scenario: Scenario = {
  name: 'packaging',
  description: 'origin packaging (upload → ready) vs the same ffmpeg command by hand',
  async run(args) {
    const { duration: durationSec, runs, preset } = parseFlags(packagingFlags, args);
    const cli = join(repoRoot, 'apps', 'origin', 'dist', 'cli.js');
    if (!existsSync(cli)) throw new Error(`${cli} is missing: build apps/origin first`);

    const temp = makeTempDir('coral-bench-packaging-');
    try {
      const clipPath = join(temp.path, 'clip-720p.mp4');
      process.stdout.write(`generating a ${durationSec} s 1280x720 clip…\n`);
      generateClip({ path: clipPath, durationSec, width: 1280, height: 720 });
      const outDir = join(temp.path, 'by-hand');
      const plan = JSON.parse(
        execFileSync(process.execPath, [cli, 'plan', clipPath, '--out', outDir, '--json'], {
          env: { ...process.env, X264_PRESET: preset },
          encoding: 'utf8',
        }),
      ) as PackagingPlan;
      process.stdout.write(
        `ladder: ${plan.renditions.map((r) => r.name).join(', ')}; preset ${preset}; ` +
          `load average ${loadavg()[0]!.toFixed(2)}\n`,
      );
      const origin = await spawnService({
        app: 'origin',
        env: {
          DATA_DIR: join(temp.path, 'origin-data'),
          X264_PRESET: preset,
          LOG_LEVEL: 'warn',
          OPERATOR_API_KEYS: TEST_OPERATOR_KEY,
        },
      });
      const byHand: Timing[] = [];
      const through: OriginRun[] = [];
      const loads: number[] = [];
      try {
        for (let i = 0; i < runs; i++) {
          const handFirst = i % 2 === 0;
          for (const which of handFirst ? ['hand', 'origin'] : ['origin', 'hand']) {
            if (which === 'hand') byHand.push(await timeByHand(plan, outDir));
            else {
              through.push(
                await timeThroughOrigin(
                  { url: origin.url, pid: origin.process.pid!, apiKey: TEST_OPERATOR_KEY },
                  clipPath,
                  `bench-${i}`,
                ),
              );
            }
          }
          loads.push(loadavg()[0]!);
          const hand = byHand[i]!;
          const run = through[i]!;
          process.stdout.write(
            `run ${i + 1}: by hand ${hand.wallSec.toFixed(2)} s (cpu ${hand.cpuSec.toFixed(1)} s), ` +
              `origin ${run.endToEndSec.toFixed(2)} s (cpu ${run.cpuSec.toFixed(1)} s), ` +
              `ratio ${ratio(run.endToEndSec, hand.wallSec)}, load ${loads[i]!.toFixed(2)}\n`,
          );
        }
      } finally {
        await origin.stop();
      }
      const pairRatios = through.map((run, i) => ratio(run.endToEndSec, byHand[i]!.wallSec));
      const handWall = median(byHand.map((t) => t.wallSec));
      const originWall = median(through.map((r) => r.endToEndSec));
      const handCpu = median(byHand.map((t) => t.cpuSec));
      const originCpu = median(through.map((r) => r.cpuSec));
      const figures = {
        clip: { durationSec, width: 1280, height: 720 },
        preset,
        renditions: plan.renditions.map((r) => r.name),
        runs,
        byHand,
        throughOrigin: through,
        loadAverage1mAfterEachRun: loads,
        medianByHandWallSec: handWall,
        medianOriginWallSec: originWall,
        wallRatioPairs: pairRatios,
        wallRatio: median(pairRatios),
        medianByHandCpuSec: handCpu,
        medianOriginCpuSec: originCpu,
        cpuRatio: ratio(originCpu, handCpu),
        medianOriginProcessCpuSec: median(through.map((r) => r.originProcessCpuSec)),
        medianOriginAcceptedSec: median(through.map((r) => r.acceptedSec)),
        medianOriginProbeSec: median(through.map((r) => r.probeSec)),
        medianOriginFfmpegSec: median(through.map((r) => r.ffmpegSec)),
        medianOriginPublishSec: median(through.map((r) => r.publishSec)),
        target: 'wallRatio <= 1.05',
      };
      process.stdout.write(
        `\n${formatTable([
          { path: 'ffmpeg by hand', 'wall s': handWall, 'cpu s': handCpu },
          { path: 'origin, upload → ready', 'wall s': originWall, 'cpu s': originCpu },
          {
            path: '  origin: node process',
            'wall s': '',
            'cpu s': figures.medianOriginProcessCpuSec,
          },
          {
            path: '  origin: upload + probe (until 202)',
            'wall s': figures.medianOriginAcceptedSec,
            'cpu s': '',
          },
          { path: '  origin: probe', 'wall s': figures.medianOriginProbeSec, 'cpu s': '' },
          { path: '  origin: ffmpeg', 'wall s': figures.medianOriginFfmpegSec, 'cpu s': '' },
          {
            path: '  origin: hash+sign+publish',
            'wall s': figures.medianOriginPublishSec,
            'cpu s': '',
          },
        ])}\n\nwall ratio origin / by hand (median of pairs): ${figures.wallRatio}x ` +
          `(target ≤ 1.05x); cpu ratio: ${figures.cpuRatio}x\n`,
      );
      process.stdout.write(`results: ${writeResults('packaging', figures)}\n`);
    } finally {
      temp.remove();
    }
  },
};

export default scenario;
