import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { CHROMIUM_PATH, operatorHeaders, sleep, startStack } from '@coral-cdn/test-support';
import { writeResultFile, writeResults } from '../lib/results.js';
import { BrowserGroup } from './browser-group.js';
import {
  medianPageStartup,
  pageStartups,
  missesLine,
  segmentSourcing,
  type SegmentSourcing,
} from './diagnosis.js';
import {
  comparePairs,
  liveSwarmTargetOf,
  joinerStartup,
  type PairComparison,
  type TargetVerdict,
} from './figures.js';
import type { SwarmOptions } from './options.js';
import {
  busyBrowserRoles,
  estimatePlanSec,
  joinPhaseCpuLine,
  offloadChart,
  p2pCpuCostLine,
  pairsTable,
  planRuns,
  runLabel,
  runsTable,
  verdictText,
} from './report.js';
import { runOne, type RunResult } from './run-one.js';
import { prepareVod, startLiveChannel } from './streams.js';

const LIVE_ID = 'swarm-live';
const VOD_ID = 'swarm-vod';
const PAUSE_BETWEEN_RUNS_MS = 3_000;

export interface RunFailure {
  run: string;
  error: string;
}

export interface SwarmBenchOutcome {
  results: RunResult[];
  failures: RunFailure[];
  pairs: PairComparison[];
  target: TargetVerdict | null;
  resultsPath: string;
}

function checkPrerequisites(options: SwarmOptions): void {
  if (options.browsers > 0 && !existsSync(CHROMIUM_PATH))
    throw new Error(`${CHROMIUM_PATH} not found: install Debian's chromium or set CHROMIUM_PATH`);
  if (options.peers.length > 0) {
    const entry = createRequire(import.meta.url).resolve('@coral-cdn/node-peer');
    if (!existsSync(entry)) throw new Error(`${entry} is missing: build packages/node-peer`);
  }
}

/** Run the whole plan on one stack (origin, edge, tracker, player) and write the results. */
export async function runSwarmBench(
  options: SwarmOptions,
  log: (line: string) => void,
): Promise<SwarmBenchOutcome> {
  checkPrerequisites(options);
  const plan = planRuns(options);
  const loadAtStart = loadavg()[0]!;
  log(
    `${plan.length} runs, about ${Math.round(estimatePlanSec(options, plan) / 60)} min plus set-up; ` +
      `load average ${loadAtStart.toFixed(2)} on ${cpus().length} cores`,
  );
  const stack = await startStack({
    region: 'bench',
    ladder: '240:400k:64k',
    originEnv: { LIVE_TESTSRC_SIZE: '426x240' },
  });
  const results: RunResult[] = [];
  const failures: RunFailure[] = [];
  try {
    // The VOD clip is packaged first, so that its encoding does not overlap a measured run.
    if (options.scenarios.includes('vod')) {
      log(`packaging a ${options.clipSec} s 426x240 clip (real ffmpeg) and warming the edge…`);
      await prepareVod(stack, stack.dataDir.path, VOD_ID, options.clipSec);
    }
    for (const scenario of options.scenarios) {
      const streamId = scenario === 'live' ? LIVE_ID : VOD_ID;
      if (scenario === 'live') {
        log('starting the live test-pattern channel (240p)…');
        await startLiveChannel(stack, LIVE_ID);
      }
      if (options.browsers > 0) {
        const startupMs = await BrowserGroup.warmUp({
          playerUrl: stack.player.url,
          streamId,
          maxHeight: 240,
        });
        log(
          `warm-up page (CDN-only, not measured) started in ${startupMs === null ? 'no' : Math.round(startupMs)} ms`,
        );
      }
      for (const spec of plan.filter((s) => s.scenario === scenario)) {
        log(
          `\n${runLabel(spec)}: joins ${spec.joinIntervalMs} ms apart, window ${options.windowSec} s`,
        );
        let result: RunResult;
        try {
          result = await runOne(spec, { stack, streamId, options, log });
        } catch (error) {
          // One broken run (a page that never loads, a fleet that dies) loses only itself.
          const message = error instanceof Error ? error.message : String(error);
          log(`  ✗ ${runLabel(spec)} failed: ${message}\n  service logs (tail):\n${stack.logs()}`);
          failures.push({ run: runLabel(spec), error: message });
          await sleep(PAUSE_BETWEEN_RUNS_MS);
          continue;
        }
        results.push(result);
        const f = result.figures;
        log(
          `  → offload window ${(f.window.offload * 100).toFixed(1)}% (max ${(f.theoreticalMaxOffload * 100).toFixed(1)}%), ` +
            `whole ${(f.whole.offload * 100).toFixed(1)}%, edge ${(f.window.cdnBitsPerSecEdge / 1000).toFixed(0)} kbit/s, ` +
            `startup ${f.startupMsMedian ?? '-'}/${f.startupMsMax ?? '-'} ms, stalls ${f.whole.stalls}, ` +
            `load ${f.whole.cpu.loadAverage1mBefore.toFixed(1)}→${f.whole.cpu.loadAverage1mAfter.toFixed(1)}`,
        );
        await sleep(PAUSE_BETWEEN_RUNS_MS);
      }
      if (scenario === 'live') {
        // Its ffmpeg would otherwise encode through the VOD runs.
        await fetch(`${stack.origin.url}/api/live/${LIVE_ID}/stop`, {
          method: 'POST',
          headers: operatorHeaders(),
        }).catch(() => undefined);
      }
    }
  } catch (error) {
    log(`\nservice logs (tail):\n${stack.logs()}`);
    throw error;
  } finally {
    await stack.stop();
  }
  return report(options, results, failures, loadAtStart, log);
}

function report(
  options: SwarmOptions,
  results: RunResult[],
  failures: RunFailure[],
  loadAtStart: number,
  log: (line: string) => void,
): SwarmBenchOutcome {
  const runs = results.map((r) => r.figures);
  const pairs = comparePairs([runs]);
  const target = liveSwarmTargetOf(pairs);
  const sourcing: Array<{ run: string } & SegmentSourcing> = results
    .filter((r) => r.figures.kind === 'browsers' && r.figures.delivery === 'p2p')
    .map((r) => ({ run: runLabel(r.figures), ...segmentSourcing(r.diagnostics, r.windowMs) }));

  log(`\n${runsTable(runs)}\n`);
  if (pairs.length > 0) log(`${pairsTable(pairs)}\n`);
  for (const line of pairs.map(p2pCpuCostLine)) if (line) log(line);
  // --diagnose: how each segment was sourced, per-process CPU and the page start-up steps.
  const diagnose = options.diagnose;
  for (const s of diagnose ? sourcing : []) {
    log(
      `${s.run}: in the window, CDN fetchers per segment ${JSON.stringify(s.cdnFetchersHistogram)} ` +
        `(mean ${s.meanCdnFetchersPerSegment}; 1 is the bound)`,
    );
    log(`${s.run}: latency per viewer and its CDN misses: ${missesLine(s)}`);
  }
  for (const run of runs.filter((r) => r.delivery === 'p2p')) {
    const reasons = Object.entries(run.window.cdnReasons)
      .filter(([, count]) => count > 0)
      .map(([reason, count]) => `${reason} ${count}`);
    log(
      `${runLabel(run)}: CDN segment fetches in the window by reason: ${reasons.join(', ') || 'none'}`,
    );
  }
  for (const run of runs.filter((r) => diagnose && r.kind === 'browsers')) {
    const roles = busyBrowserRoles(run.window.cpu.browsersByRoleSec);
    log(`${runLabel(run)}: Chromium CPU s in the window by process: ${roles.join(', ')}`);
    log(`${runLabel(run)}: ${joinPhaseCpuLine(run.join)}`);
  }
  for (const failure of failures) log(`FAILED: ${failure.run}: ${failure.error}`);
  for (const run of runs)
    for (const problem of run.problems) log(`invalid: ${runLabel(run)}: ${problem}`);
  const startupSteps = results
    .filter((r) => diagnose && r.figures.kind === 'browsers')
    .map((r) => ({
      run: runLabel(r.figures),
      median: medianPageStartup(pageStartups(r.diagnostics)),
      perViewer: pageStartups(r.diagnostics),
    }));
  for (const steps of startupSteps) {
    const m = steps.median;
    log(
      `${steps.run}: page start-up, median ms: player script run ${m.scriptRunMs ?? '-'}; since navigation: playback info ${m.playbackInfoMs ?? '-'}, ` +
        `media playlist ${m.mediaPlaylistMs ?? '-'}, init ${m.initSegmentMs ?? '-'}, first segment ${m.firstSegmentMs ?? '-'}`,
    );
  }
  const joiners = (['live', 'vod'] as const)
    .map((scenario) =>
      joinerStartup(
        scenario,
        results
          .filter((r) => r.figures.scenario === scenario && r.joiners !== null)
          .map((r) => r.joiners!),
      ),
    )
    .filter((j) => j.p2pMs.length + j.cdnMs.length + j.notStartedP2p + j.notStartedCdn > 0);
  for (const j of joiners) {
    log(
      `${j.scenario.toUpperCase()}: joiners into the running P2P swarm, start-up median P2P ${j.medianMsP2p ?? '-'} ms ` +
        `(${j.p2pMs.join(', ')}) vs CDN-only ${j.medianMsCdn ?? '-'} ms (${j.cdnMs.join(', ')}): ratio ${j.medianRatio ?? '-'}` +
        (j.notStartedP2p + j.notStartedCdn > 0
          ? `; not started: ${j.notStartedP2p} P2P, ${j.notStartedCdn} CDN-only`
          : ''),
    );
  }
  if (target) log(`\n${verdictText(target)}`);
  const loadAtEnd = loadavg()[0]!;
  log(
    `load average ${loadAtStart.toFixed(2)} at the start, ${loadAtEnd.toFixed(2)} at the end ` +
      `(${cpus().length} cores, shared: figures under load are noisy)`,
  );

  const name = options.out;
  const resultsPath = writeResults(name, {
    options,
    loadAverage1m: { atStart: loadAtStart, atEnd: loadAtEnd },
    definitions: {
      offload:
        'Σ p2pBytes / Σ (p2pBytes + httpBytes) of media segments, from each viewer’s engine stats',
      window:
        'from the moment every viewer joined and plays (or the settle timeout) for window-sec',
      theoreticalMaxOffload:
        '(N-1)/N: the CDN sends each segment at least once (VOD: over the whole clip)',
      cdnBytesEdge:
        'bytes the edge sent to clients (its /stats bytesServed): segments, playlists, init',
      cdnBytesViewers: 'media segment bytes the viewers counted from the CDN',
      edgeSavings: '1 - edge bytes/s with P2P / edge bytes/s CDN-only',
      cpu: 'process-tree CPU seconds: browsers (Chromium), peers (coral-peer cpuTotalMs), services (origin incl. live ffmpeg, edge, tracker, player)',
    },
    runs: results.map((r) => ({
      ...r.figures,
      windowMs: r.windowMs,
      code: r.code,
      fleetHealth: r.fleetHealth,
    })),
    failures,
    pairs,
    target,
    startupSteps,
    joinerStartup: joiners,
    segmentSourcing: sourcing.map(({ bySequence: _omitted, ...rest }) => rest),
  });
  if (diagnose)
    writeResultFile(
      `${name}-diagnostics.json`,
      `${JSON.stringify(
        results.map((r) => ({
          run: runLabel(r.figures),
          windowMs: r.windowMs,
          timeline: r.timeline,
          sourcing:
            r.figures.kind === 'browsers' ? segmentSourcing(r.diagnostics, r.windowMs) : null,
          viewers: r.diagnostics,
        })),
        null,
        1,
      )}\n`,
    );
  if (pairs.length > 0) {
    const chartPath = writeResultFile(
      `${name}.svg`,
      offloadChart(pairs, `Coral swarm offload vs viewers (${options.windowSec} s window)`),
    );
    log(`chart: ${chartPath}`);
  }
  log(
    `results: ${resultsPath}` +
      (diagnose ? ` (per-viewer segments, logs, time series: ${name}-diagnostics.json)` : ''),
  );
  return { results, failures, pairs, target, resultsPath };
}
