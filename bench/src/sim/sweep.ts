import { scenarioSpec, simulate, type SimResult } from '@coral-cdn/swarm-sim';

export interface SweepPoint {
  readonly viewers: number;
  readonly offload: number;
  readonly fluidBound: number;
  readonly offloadByRendition: Record<string, number>;
  readonly cdnEgressGB: number;
  readonly startupMsP50: number;
  readonly startupMsP90: number;
  readonly viewersWithStalls: number;
  readonly trackerMessagesPerSecP50: number;
  /** Segments from peers, and from the CDN by the engine's reason. */
  readonly segmentsFromP2p: number;
  readonly cdnReasons: Record<string, number>;
  readonly speed: SpeedFigures;
}

/** What a run cost: the speed benchmark's figures. */
export interface SpeedFigures {
  readonly wallSec: number;
  readonly cpuSec: number;
  readonly peakRssMiB: number;
  /** Viewer-seconds simulated (each viewer's time in the audience, summed). */
  readonly viewerSec: number;
  /** Viewer-seconds per CPU-second. */
  readonly viewerSecPerCpuSec: number;
  readonly timersFired: number;
}

export function viewerSeconds(result: SimResult): number {
  const endSec = result.samples.at(-1)?.tSec ?? result.spec.durationSec;
  return result.viewers.reduce(
    (sum, viewer) => sum + Math.max(0, (viewer.leftAtSec ?? endSec) - viewer.joinedAtSec),
    0,
  );
}

export async function runPoint(
  scenario: string,
  viewers: number,
  durationSec: number,
  uplinks: string,
  onProgress: (line: string) => void,
): Promise<{ point: SweepPoint; result: SimResult }> {
  const spec = scenarioSpec(scenario, { viewers, durationSec, uplinks });
  const cpuBefore = process.cpuUsage();
  const result = await simulate(spec, onProgress);
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSec = (cpu.user + cpu.system) / 1e6;
  const viewerSec = viewerSeconds(result);
  return {
    result,
    point: {
      viewers,
      offload: result.totals.offload,
      fluidBound: result.totals.fluidBound,
      offloadByRendition: result.totals.offloadByRendition,
      cdnEgressGB: result.totals.cdnEgressBytes / 1e9,
      startupMsP50: result.startupMs.p50,
      startupMsP90: result.startupMs.p90,
      viewersWithStalls: result.viewersWithStalls,
      trackerMessagesPerSecP50: result.trackerMessagesPerSec.p50,
      segmentsFromP2p: result.totals.segmentsFromP2p,
      cdnReasons: result.totals.cdnReasons,
      speed: {
        wallSec: result.cost.wallSec,
        cpuSec,
        peakRssMiB: result.cost.peakRssBytes / 2 ** 20,
        viewerSec,
        viewerSecPerCpuSec: viewerSec / Math.max(1e-9, cpuSec),
        timersFired: result.cost.timersFired,
      },
    },
  };
}
