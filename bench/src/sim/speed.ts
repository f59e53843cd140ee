import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCENARIOS, UPLINK_MIXES } from '@coral-cdn/swarm-sim';
import { z } from 'zod';
import { booleanFlag, intFlag } from '../lib/flags.js';

export const SIM_SPEED_FLAGS_HELP = `Flags:
  --sizes N,N,...     audiences to run, one process each (default 1000,3000)
  --duration-sec S    simulated seconds per run (default 60)
  --rounds R          runs per size; the table shows the median and the spread (default 1)
  --seeds S,S,...     population and run seeds, one run (or --rounds runs) each (default 1)
  --cohort-size M     APPROXIMATION: each size as cohorts of M sampled viewers scaled to the
                      audience (coral-sim --cohort-size; docs/simulator.md "Cohort mode")
  --cohorts K         with --cohort-size: K cohorts of M per run (default 1)
  --compare-full      with --cohort-size: also run every size and seed in full fidelity and
                      print cohort against full side by side (offload, CDN egress, stalled
                      viewers, start-up p50)
  --scenario NAME     a live scenario (default live-flash-crowd)
  --uplinks MIX       residential | dsl-heavy | lab (default residential)
  --player-tick-ms MS the headless player's tick (default 100: full fidelity; more is the
                      coarse approximation for large runs, see docs/simulator.md "Speed")
  --semi-space-mib M  V8's young generation semi-space for each run (default 64; 0: node's own,
                      16 on 64-bit): fewer scavenges of the engines' short-lived objects
  --cpu-prof DIR      write a V8 CPU profile of each run to DIR (node --cpu-prof)
  --heap-prof DIR     write a V8 heap profile of each run to DIR (node --heap-prof)
  --out NAME          results name in bench/results (default sim-speed)`;

const name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'takes a name of [a-z0-9-]');
const dir = z.string().refine((d) => d !== 'true' && d.trim() !== '', 'needs a folder');

export const simSpeedFlags = z.object({
  sizes: z
    .string()
    .default('1000,3000')
    .transform((text) => text.split(',').map((s) => Number(s.trim())))
    .pipe(z.array(z.number().int().min(2).max(1_000_000)).min(1)),
  duration_sec: intFlag(10, 3600, 60),
  rounds: intFlag(1, 20, 1),
  seeds: z
    .string()
    .default('1')
    .transform((text) => text.split(',').map((s) => Number(s.trim())))
    .pipe(
      z
        .array(
          z
            .number()
            .int()
            .min(0)
            .max(2 ** 31),
        )
        .min(1),
    ),
  cohort_size: z.coerce.number().int().min(2).max(1_000_000).optional(),
  cohorts: intFlag(1, 64, 1),
  compare_full: booleanFlag(),
  scenario: z
    .string()
    .default('live-flash-crowd')
    .refine((s) => SCENARIOS.some((known) => known.name === s && s.startsWith('live')), {
      message: `takes a live scenario: ${SCENARIOS.filter((s) => s.name.startsWith('live'))
        .map((s) => s.name)
        .join(', ')}`,
    }),
  uplinks: z
    .string()
    .default('residential')
    .refine((u) => u in UPLINK_MIXES, {
      message: `takes ${Object.keys(UPLINK_MIXES).join(', ')}`,
    }),
  player_tick_ms: intFlag(10, 5000, 100),
  semi_space_mib: intFlag(0, 1024, 64),
  cpu_prof: dir.optional(),
  heap_prof: dir.optional(),
  out: name.default('sim-speed'),
});

/** What the parent hands one worker process. */
export const speedRunRequest = z.object({
  scenario: z.string(),
  viewers: z.number().int().min(2),
  durationSec: z.number().int().min(1),
  uplinks: z.string(),
  playerTickMs: z.number().int().min(1),
  seed: z.number().int().min(0),
  /** Null: full fidelity. */
  cohortViewers: z.number().int().min(2).nullable(),
  cohorts: z.number().int().min(1),
});
export type SpeedRunRequest = z.infer<typeof speedRunRequest>;

/** One run's cost, and a fingerprint of what it decided (to show a speed-up changed nothing). */
export interface SpeedRunFigures {
  readonly viewers: number;
  readonly seed: number;
  /** 'cohort': an approximation from cohorts of `cohortViewers` (see docs/simulator.md). */
  readonly mode: 'full' | 'cohort';
  readonly cohortViewers: number | null;
  readonly cohorts: number | null;
  readonly durationSec: number;
  readonly byteScale: number;
  readonly playerTickMs: number;
  /** The node flags the run had (young generation size, profilers). */
  readonly nodeFlags: readonly string[];
  readonly wallSec: number;
  readonly cpuSec: number;
  /** Simulated viewer-seconds (in cohort mode, of the sampled viewers: the work done). */
  readonly viewerSec: number;
  readonly viewerSecPerCpuSec: number;
  /** Simulator events: timers fired (engine ticks, flow completions, message deliveries). */
  readonly events: number;
  readonly eventsPerCpuSec: number;
  readonly eventsPerWallSec: number;
  readonly flowRecomputes: number;
  readonly peakRssMiB: number;
  readonly outcome: {
    readonly offload: number;
    readonly segmentsFromP2p: number;
    readonly cdnEgressBytes: number;
    readonly viewersWithStalls: number;
    /** Viewers that stalled at least once over viewers that joined (sampled ones in cohort mode). */
    readonly stalledShare: number;
    readonly startupMsP50: number;
    readonly peerConnectionsOpened: number;
  };
}

/** The targets: viewers × simulated seconds within a wall time and an RSS. */
export const SPEED_TARGETS = [
  { viewers: 10_000, simSec: 600, wallSec: 120, rssMiB: null },
  { viewers: 100_000, simSec: 600, wallSec: 1200, rssMiB: 16 * 1024 },
] as const;

export interface TargetEstimate {
  /** 'cohort': what the cohort approximation costs, not full fidelity. */
  readonly mode: 'full' | 'cohort';
  readonly cohortViewers: number | null;
  readonly cohorts: number | null;
  readonly viewers: number;
  readonly simSec: number;
  readonly targetWallSec: number;
  readonly targetRssMiB: number | null;
  /** 'measured' when a run of this size and length was made; else extrapolated. */
  readonly basis: 'measured' | 'extrapolated';
  readonly fromViewers: number;
  readonly cpuSec: number;
  /** Wall time at the run's viewer-seconds per wall-second (GC threads run beside the main one). */
  readonly wallSec: number;
  readonly rssMiB: number;
  /** Target wall time over the CPU time it needs (≥ 1: within the target on an idle core). */
  readonly headroom: number;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Which rounds belong together: the same mode, audience and seed. */
export const runKey = (run: SpeedRunFigures): string =>
  `${run.mode}/${run.viewers}/${run.seed}/${run.cohortViewers ?? ''}x${run.cohorts ?? ''}`;

/** Median figures of each size's rounds (per mode and seed). */
export function medians(runs: readonly SpeedRunFigures[]): SpeedRunFigures[] {
  const bySize = new Map<string, SpeedRunFigures[]>();
  for (const run of runs) bySize.set(runKey(run), [...(bySize.get(runKey(run)) ?? []), run]);
  return [...bySize.values()].map((rounds) => {
    const pick = (key: keyof SpeedRunFigures) => median(rounds.map((r) => r[key] as number));
    return {
      ...rounds[0]!,
      wallSec: pick('wallSec'),
      cpuSec: pick('cpuSec'),
      viewerSecPerCpuSec: pick('viewerSecPerCpuSec'),
      eventsPerCpuSec: pick('eventsPerCpuSec'),
      eventsPerWallSec: pick('eventsPerWallSec'),
      peakRssMiB: pick('peakRssMiB'),
    };
  });
}

/**
 * What each target needs, from the largest audience measured: CPU time at that run's
 * viewer-seconds per CPU-second (per-viewer cost grows with the audience, so a larger target is
 * at least this slow), and RSS as that run's RSS per viewer times the target's viewers (plus
 * the base of the smallest run when two sizes were measured: a line through both).
 */
export function estimateTargets(runs: readonly SpeedRunFigures[]): TargetEstimate[] {
  const full = runs.filter((r) => r.mode === 'full');
  const cohort = runs.filter((r) => r.mode === 'cohort');
  return [...estimateFor(full), ...estimateFor(cohort)];
}

/**
 * Viewers a run of the target simulates: all of them in full fidelity; in cohort mode the
 * cohorts' (M·K whatever the audience), so a cohort run's cost carries over to any audience.
 */
const simulatedViewers = (run: SpeedRunFigures, targetViewers: number): number =>
  run.mode === 'cohort' ? (run.cohortViewers ?? 0) * (run.cohorts ?? 1) : targetViewers;

function estimateFor(runs: readonly SpeedRunFigures[]): TargetEstimate[] {
  const sorted = [...runs].sort((a, b) => a.viewers - b.viewers);
  const largest = sorted.at(-1);
  if (!largest) return [];
  const smallest = sorted[0]!;
  const slope =
    largest.viewers > smallest.viewers
      ? (largest.peakRssMiB - smallest.peakRssMiB) / (largest.viewers - smallest.viewers)
      : largest.peakRssMiB / largest.viewers;
  const intercept = largest.peakRssMiB - slope * largest.viewers;
  return SPEED_TARGETS.map((target) => {
    const measured = sorted.find(
      (r) => r.viewers === target.viewers && r.durationSec >= target.simSec,
    );
    const work = simulatedViewers(largest, target.viewers) * target.simSec;
    const cpuSec = measured ? measured.cpuSec : work / largest.viewerSecPerCpuSec;
    const wallSec = measured ? measured.wallSec : work / (largest.viewerSec / largest.wallSec);
    return {
      mode: largest.mode,
      cohortViewers: largest.cohortViewers,
      cohorts: largest.cohorts,
      viewers: target.viewers,
      simSec: target.simSec,
      targetWallSec: target.wallSec,
      targetRssMiB: target.rssMiB,
      basis: measured ? 'measured' : 'extrapolated',
      fromViewers: measured ? measured.viewers : largest.viewers,
      cpuSec,
      wallSec,
      rssMiB: measured
        ? measured.peakRssMiB
        : largest.mode === 'cohort'
          ? largest.peakRssMiB
          : Math.max(0, intercept) + slope * target.viewers,
      headroom: target.wallSec / cpuSec,
    };
  });
}

const workerPath = join(dirname(fileURLToPath(import.meta.url)), 'speed-worker.js');

/** Run one size in a fresh node process (its own heap, RSS and CPU clock). */
export function runSpeedWorker(
  request: SpeedRunRequest,
  nodeFlags: readonly string[],
): Promise<SpeedRunFigures> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...nodeFlags, workerPath, JSON.stringify(request)],
      { maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            new Error(`speed run of ${request.viewers} viewers failed: ${stderr || error.message}`),
          );
          return;
        }
        const line = stdout.trim().split('\n').at(-1) ?? '';
        resolve(JSON.parse(line) as SpeedRunFigures);
      },
    );
  });
}
