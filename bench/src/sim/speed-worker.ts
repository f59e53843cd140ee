import { scenarioSpec, simulate, simulateCohort } from '@coral-cdn/swarm-sim';
import { speedRunRequest, type SpeedRunFigures } from './speed.js';
import { viewerSeconds } from './sweep.js';

/**
 * One speed-benchmark run in its own process (so that its peak RSS and CPU time are its own):
 * argv[2] is the request as JSON; the figures go to stdout as one JSON line.
 */
const request = speedRunRequest.parse(JSON.parse(process.argv[2] ?? '{}'));
const spec = scenarioSpec(request.scenario, {
  viewers: request.viewers,
  durationSec: request.durationSec,
  uplinks: request.uplinks,
  playerTickMs: request.playerTickMs,
  seed: request.seed,
});
const cpuBefore = process.cpuUsage();
const wallBefore = performance.now();
const result =
  request.cohortViewers === null
    ? await simulate(spec)
    : await simulateCohort(spec, {
        cohortViewers: request.cohortViewers,
        cohorts: request.cohorts,
      });
const wallSec = (performance.now() - wallBefore) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const cpuSec = (cpu.user + cpu.system) / 1e6;
const viewerSec = viewerSeconds(result);
const sampled = result.viewers.length;
const figures: SpeedRunFigures = {
  viewers: request.viewers,
  seed: request.seed,
  mode: result.approximation ? 'cohort' : 'full',
  cohortViewers: result.approximation?.cohortViewers ?? null,
  cohorts: result.approximation?.cohorts ?? null,
  durationSec: request.durationSec,
  byteScale: spec.byteScale,
  playerTickMs: spec.player.tickMs,
  nodeFlags: process.execArgv,
  wallSec,
  cpuSec,
  viewerSec,
  viewerSecPerCpuSec: viewerSec / Math.max(1e-9, cpuSec),
  events: result.cost.timersFired,
  eventsPerCpuSec: result.cost.timersFired / Math.max(1e-9, cpuSec),
  eventsPerWallSec: result.cost.timersFired / Math.max(1e-9, wallSec),
  flowRecomputes: result.cost.flowRecomputes,
  // resourceUsage's maxRSS is the process's true peak (KiB), not a sample of it.
  peakRssMiB: process.resourceUsage().maxRSS / 1024,
  outcome: {
    offload: result.totals.offload,
    segmentsFromP2p: result.totals.segmentsFromP2p,
    cdnEgressBytes: result.totals.cdnEgressBytes,
    viewersWithStalls: result.viewersWithStalls,
    stalledShare: sampled > 0 ? result.viewers.filter((v) => v.stalls > 0).length / sampled : 0,
    startupMsP50: result.startupMs.p50,
    peerConnectionsOpened: result.totals.peerConnectionsOpened,
  },
};
process.stdout.write(`${JSON.stringify(figures)}\n`);
