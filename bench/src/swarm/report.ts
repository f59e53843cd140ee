/** The swarm benchmark's plan, tables and chart. */
import { formatTable, type RatioInterval } from '../lib/stats.js';
import { lineChartSvg, type Series } from '../lib/svg.js';
import {
  theoreticalMaxOffload,
  type PairComparison,
  type PhaseFigures,
  type RunFigures,
  type RunSpec,
  type TargetVerdict,
} from './figures.js';
import type { SwarmOptions } from './options.js';

/**
 * Every run, in order. Scenario by scenario (LIVE then VOD), viewer group by group (browsers,
 * then the werift fleets smallest first); each P2P run sits next to its CDN-only baseline, and
 * which of the two goes first alternates from pair to pair (and round to round: browser pairs
 * run `rounds` times) so that a drift in the machine's load does not always favour the same one.
 */
export function planRuns(options: SwarmOptions): RunSpec[] {
  const specs: RunSpec[] = [];
  let pairIndex = options.cdnFirst ? 1 : 0;
  for (const scenario of options.scenarios) {
    const groups: Array<Pick<RunSpec, 'kind' | 'viewers' | 'joinIntervalMs'>> = [];
    if (options.browsers > 0) {
      groups.push({
        kind: 'browsers',
        viewers: options.browsers,
        joinIntervalMs: scenario === 'live' ? options.liveJoinMs : options.vodJoinMs,
      });
    }
    for (const viewers of options.peers) {
      groups.push({
        kind: 'peers',
        viewers,
        joinIntervalMs: scenario === 'live' ? options.peerLiveJoinMs : options.peerVodJoinMs,
      });
    }
    for (const group of groups) {
      const rounds = group.kind === 'browsers' ? options.rounds : 1;
      for (let round = 1; round <= rounds; round++) {
        const order = pairIndex++ % 2 === 0 ? (['p2p', 'cdn'] as const) : (['cdn', 'p2p'] as const);
        for (const delivery of order) {
          if (!options.deliveries.includes(delivery)) continue;
          specs.push({ scenario, ...group, delivery, ...(rounds > 1 ? { round } : {}) });
        }
      }
    }
  }
  return specs;
}

/** Rough wall time of a plan, seconds (joins + settling + window per run, probe joiners). */
export function estimatePlanSec(options: SwarmOptions, specs: readonly RunSpec[]): number {
  const joinersSec = (spec: RunSpec) =>
    spec.kind === 'browsers' && spec.delivery === 'p2p' ? options.joiners * 4 : 0;
  return specs.reduce(
    (total, spec) =>
      total +
      ((spec.viewers - 1) * spec.joinIntervalMs) / 1000 +
      8 +
      options.windowSec +
      5 +
      joinersSec(spec),
    0,
  );
}

const mb = (bytes: number) => Math.round(bytes / 1e4) / 100;
const pct = (value: number) => `${(value * 100).toFixed(1)}%`;

export const runLabel = (
  run: Pick<RunSpec, 'scenario' | 'kind' | 'viewers' | 'delivery' | 'round'>,
) =>
  `${run.scenario.toUpperCase()} ${run.viewers} ${run.kind === 'browsers' ? 'browsers' : 'werift'} ${run.delivery === 'p2p' ? 'P2P' : 'CDN-only'}` +
  (run.round === undefined ? '' : ` #${run.round}`);

export function runsTable(runs: readonly RunFigures[]): string {
  return formatTable(
    runs.map((run) => ({
      run: runLabel(run),
      'offload win': pct(run.window.offload),
      'offload all': pct(run.whole.offload),
      'max (N-1)/N': pct(run.theoreticalMaxOffload),
      'CDN MB edge win': mb(run.window.cdnBytesEdge),
      'CDN MB viewers win': mb(run.window.cdnBytesViewers),
      'CDN MB edge all': mb(run.whole.cdnBytesEdge),
      'startup ms med/max': `${run.startupMsMedian ?? '-'}/${run.startupMsMax ?? '-'}`,
      'stalls (ms)': `${run.whole.stalls} (${run.whole.stallMs})`,
      fallbacks: run.whole.fallbacks,
      'cpu s win brw/peer/svc': `${run.window.cpu.browsersSec.toFixed(0)}/${run.window.cpu.peersSec.toFixed(0)}/${run.window.cpu.servicesTotalSec.toFixed(0)}`,
      load: `${run.whole.cpu.loadAverage1mBefore.toFixed(1)}→${run.whole.cpu.loadAverage1mAfter.toFixed(1)}`,
      valid: run.problems.length === 0 ? 'yes' : 'NO',
    })),
  );
}

export function pairLabel(pair: PairComparison): string {
  return `${pair.scenario.toUpperCase()} ${pair.viewers} ${pair.kind === 'browsers' ? 'browsers' : 'werift'}`;
}

export function pairsTable(pairs: readonly PairComparison[]): string {
  return formatTable(
    pairs.map((pair) => ({
      pair: pairLabel(pair),
      rounds: pair.rounds,
      'offload win': pct(pair.offloadWindow),
      // VOD: a window can beat (N-1)/N (its segments were fetched before it); the bound holds
      // when every viewer watches the whole clip.
      'of max': pair.scenario === 'live' ? pct(pair.fractionOfMaxWindow) : 'n/a',
      'edge bytes saved win': pct(pair.edgeSavingsWindow),
      'edge bytes saved all': pct(pair.edgeSavingsWhole),
      'stalls p2p/cdn': `${pair.stallsP2p}/${pair.stallsCdn}`,
      'startup med p2p/cdn ms': `${pair.startupMsMedianP2p ?? '-'}/${pair.startupMsMedianCdn ?? '-'}`,
      'startup ratio': pair.startupMedianRatio ?? '-',
      'ratio 90% (resampled)': pair.startupRatioInterval
        ? `${pair.startupRatioInterval.low}–${pair.startupRatioInterval.high}`
        : '-',
      valid: pair.problems.length === 0 ? 'yes' : 'NO',
    })),
  );
}

/**
 * ` (90% of round resamples: 0.9–1.6)` (one invocation), ` (90% of resamples of 3 invocations
 * and their rounds: 0.9–1.6)` (pooled), or nothing without rounds to resample.
 */
function intervalText(interval: RatioInterval | null): string {
  if (!interval) return '';
  const share = Math.round(interval.confidence * 100);
  const drawn =
    interval.invocations > 1
      ? `resamples of ${interval.invocations} invocations and their rounds`
      : 'round resamples';
  return ` (${share}% of ${drawn}: ${interval.low}–${interval.high})`;
}

export function verdictText(verdict: TargetVerdict): string {
  const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');
  return [
    `live swarm target, LIVE with ${verdict.viewers} browsers${verdict.asStated ? '' : ' (stated for 6)'}: ${verdict.met ? 'MET' : verdict.valid ? 'NOT MET' : 'NOT MET (invalid comparison)'}`,
    ...verdict.problems.map((problem) => `  invalid: ${problem}`),
    `  offload in the window ${pct(verdict.offloadWindow)} ≥ ${pct(verdict.offloadFloor)} (0.95 × (N-1)/N): ${mark(verdict.offloadMet)}`,
    `  stalls P2P ${verdict.stallsP2p} ≤ CDN-only ${verdict.stallsCdn}: ${mark(verdict.stallsMet)}`,
    `  startup median P2P / CDN-only ${verdict.startupMedianRatio ?? '-'}${intervalText(verdict.startupRatioInterval)} ≤ 1.1: ${mark(verdict.startupMet)}`,
  ].join('\n');
}

/** Offload against N: measured (steady window) for LIVE and VOD, and the (N-1)/N bound. */
export function offloadChart(pairs: readonly PairComparison[], title: string): string {
  const points = (scenario: 'live' | 'vod', pick: (pair: PairComparison) => number) =>
    pairs
      .filter((pair) => pair.scenario === scenario)
      .sort((a, b) => a.viewers - b.viewers)
      .map((pair) => ({ x: pair.viewers, y: pick(pair) }));
  const ns = [...new Set(pairs.map((pair) => pair.viewers))].sort((a, b) => a - b);
  const series: Series[] = [
    { name: 'LIVE, window', points: points('live', (p) => p.offloadWindow) },
    { name: 'VOD, window', points: points('vod', (p) => p.offloadWindow) },
    { name: 'VOD, whole run', points: points('vod', (p) => p.offloadWhole) },
    {
      name: 'bound (N-1)/N',
      points: ns.map((n) => ({ x: n, y: theoreticalMaxOffload(n) })),
      dashed: true,
    },
  ].filter((s) => s.points.length > 0);
  return lineChartSvg({
    title,
    xLabel: 'viewers N (browsers at the smallest N, werift peers above)',
    yLabel: 'offload p2p / (p2p + CDN)',
    series,
    yMin: 0,
    yMax: 1,
    width: 720,
  });
}

/**
 * The join phase's CPU as cores (CPU s per s): what a page starting up then competes with, e.g.
 * `join phase 14.2 s: Chromium 1.52 cores (renderer 1.1, …), services 0.21 cores`.
 */
export function joinPhaseCpuLine(join: PhaseFigures): string {
  const cores = (sec: number) => (join.durationSec > 0 ? sec / join.durationSec : 0).toFixed(2);
  const roles = busyBrowserRoles(join.cpu.browsersByRoleSec, cores);
  return (
    `join phase ${join.durationSec.toFixed(1)} s: Chromium ${cores(join.cpu.browsersSec)} cores` +
    `${roles.length > 0 ? ` (${roles.join(', ')})` : ''}, services ${cores(join.cpu.servicesTotalSec)} cores`
  );
}

/** Chromium process roles that used at least 0.5 CPU s, busiest first, e.g. `renderer 18.9`. */
export function busyBrowserRoles(
  byRoleSec: Record<string, number>,
  format: (sec: number) => string = String,
): string[] {
  return Object.entries(byRoleSec)
    .filter(([, sec]) => sec >= 0.5)
    .sort((a, b) => b[1] - a[1])
    .map(([role, sec]) => `${role} ${format(sec)}`);
}

/**
 * What P2P costs the viewers' CPU in a pair's windows, e.g. `LIVE 6 browsers: P2P's CPU cost in
 * the window +0.14 cores, 370 CPU ms per MB between peers; threads: renderer/WebRTC_W_and_N
 * +0.047, …`. Null without a cost figure.
 */
export function p2pCpuCostLine(pair: PairComparison): string | null {
  const cost = pair.p2pCpuCost;
  if (!cost) return null;
  const signed = (cores: number) => `${cores >= 0 ? '+' : ''}${cores.toFixed(3)}`;
  const threads = cost.byThread.map((t) => `${t.thread} ${signed(t.extraCores)}`);
  return (
    `${pairLabel(pair)}: P2P's CPU cost in the window ${signed(cost.extraCores)} cores` +
    (cost.cpuMsPerPeerMb === null ? '' : `, ${cost.cpuMsPerPeerMb} CPU ms per MB between peers`) +
    (threads.length > 0 ? `; threads: ${threads.join(', ')}` : '')
  );
}
