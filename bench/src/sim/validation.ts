import { scenarioSpec, simulate } from '@coral-cdn/swarm-sim';
import type { ReferenceFile, ReferenceRun } from './reference.js';

export interface ValidationRow {
  readonly scenario: string;
  readonly viewers: number;
  readonly reference: string;
  readonly byteScale: number;
  readonly realWindowOffload: number;
  readonly simWindowOffload: number;
  readonly realWholeOffload: number;
  readonly simWholeOffload: number;
  readonly realStalls: number;
  readonly simStalls: number;
  /** Window offload difference, percentage points (sim − real). */
  readonly deltaPoints: number;
  readonly withinFivePoints: boolean;
  readonly stallsMatch: boolean;
  readonly simWallSec: number;
}

/** Simulate the lab scenario of one swarm benchmark run with the same viewers and bitrate. */
export async function validateRun(
  reference: ReferenceFile,
  run: ReferenceRun,
  byteScale: number,
): Promise<ValidationRow> {
  const spec = scenarioSpec(run.scenario === 'live' ? 'lab-live' : 'lab-vod', {
    viewers: run.viewers,
    bitrateBitsPerSec: run.bitrateBitsPerSec,
    windowSec: Math.round(run.windowSec),
    byteScale,
  });
  const result = await simulate({
    ...spec,
    audience: { ...spec.audience, joinIntervalMs: run.joinIntervalMs },
  });
  const simWindow = result.window?.offload ?? 0;
  const deltaPoints = (simWindow - run.windowOffload) * 100;
  const simStalls = result.viewers.reduce((sum, viewer) => sum + viewer.stalls, 0);
  return {
    scenario: `${run.scenario} ${run.viewers} ${run.kind}`,
    viewers: run.viewers,
    reference: reference.label,
    byteScale,
    realWindowOffload: run.windowOffload,
    simWindowOffload: simWindow,
    realWholeOffload: run.wholeOffload,
    simWholeOffload: result.totals.offload,
    realStalls: run.wholeStalls,
    simStalls,
    deltaPoints,
    withinFivePoints: Math.abs(deltaPoints) <= 5,
    stallsMatch: simStalls === run.wholeStalls,
    simWallSec: result.cost.wallSec,
  };
}
