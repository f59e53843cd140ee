/** The swarm benchmark's arithmetic: counters at moments → the figures reported (pure). */
import {
  invocationBootstrapRatio,
  median,
  ratio,
  type RatioInterval,
  type RoundsOfInvocation,
} from '../lib/stats.js';
import { cpuBetween, type CpuSample, type CpuUse } from './cpu.js';
import type { Delivery, ScenarioName } from './options.js';
import {
  CDN_REASONS,
  cdnReasonCounts,
  zeroCounters,
  type CdnReasonCounts,
  type ViewerCounters,
} from './viewers.js';

export type ViewerKind = 'browsers' | 'peers';

export interface RunSpec {
  scenario: ScenarioName;
  kind: ViewerKind;
  viewers: number;
  delivery: Delivery;
  joinIntervalMs: number;
  /** 1-based, when the plan repeats this run (`--rounds`); absent when it runs once. */
  round?: number;
}

/** Everything sampled at one moment of a run. */
export interface Moment {
  /** ms since the run started. */
  atMs: number;
  /** Viewers joined so far, in join order. */
  viewers: ViewerCounters[];
  /** The edge's `/stats` counters: the bytes the CDN really sent, and its requests. */
  edgeBytesServed: number;
  edgeRequests: number;
  cpu: CpuSample;
}

/** Figures over one stretch of a run (the steady window, or the whole run). */
export interface PhaseFigures {
  durationSec: number;
  /** Σp2p / Σ(p2p + http) over the viewers, in this stretch. */
  offload: number;
  /** offload / the (N-1)/N bound. */
  fractionOfMax: number;
  /** What the edge sent (all responses: segments, playlists, init), bytes. */
  cdnBytesEdge: number;
  cdnBitsPerSecEdge: number;
  /** What the viewers counted from the CDN (media segments only), bytes. */
  cdnBytesViewers: number;
  p2pBytes: number;
  uploadedBytes: number;
  edgeRequests: number;
  stalls: number;
  stallMs: number;
  fallbacks: number;
  segmentsFromHttp: number;
  segmentsFromP2p: number;
  segmentsMixed: number;
  /** CDN segment fetches in this stretch, by why (see the engine's `CdnReason`). */
  cdnReasons: CdnReasonCounts;
  integrityFailures: number;
  prefetchWastedBytes: number;
  cpu: CpuUse;
}

export interface ViewerFigures {
  index: number;
  joinedAtMs: number;
  startupMs: number | null;
  offloadWindow: number;
  offloadWhole: number;
  httpBytes: number;
  p2pBytes: number;
  uploadedBytes: number;
  httpBytesWindow: number;
  p2pBytesWindow: number;
  stalls: number;
  stallMs: number;
  fallbacks: number;
  segmentsFromHttp: number;
  segmentsFromP2p: number;
  segmentsMixed: number;
  peersAtEnd: number;
  trackerConnected: boolean;
  error: string | null;
}

export interface RunFigures extends RunSpec {
  /** (N-1)/N: the CDN sends each segment at least once. For VOD it holds for the whole clip. */
  theoreticalMaxOffload: number;
  window: PhaseFigures;
  /**
   * From before the first join to the window's start: the viewers joining, starting up and
   * catching up. Its CPU is what a page that starts meanwhile competes with.
   */
  join: PhaseFigures;
  whole: PhaseFigures;
  startupMsMedian: number | null;
  startupMsMax: number | null;
  /** Viewers that never started playing. */
  notStarted: number;
  /** Why the run's figures cannot be trusted (empty: none known). */
  problems: string[];
  perViewer: ViewerFigures[];
}

export const theoreticalMaxOffload = (viewers: number): number =>
  viewers <= 0 ? 0 : (viewers - 1) / viewers;

const round = (value: number, digits = 4) => Math.round(value * 10 ** digits) / 10 ** digits;

export function offload(p2pBytes: number, httpBytes: number): number {
  const total = p2pBytes + httpBytes;
  return total === 0 ? 0 : round(p2pBytes / total);
}

type Summed =
  | 'httpBytes'
  | 'p2pBytes'
  | 'uploadedBytes'
  | 'stalls'
  | 'stallMs'
  | 'fallbacks'
  | 'segmentsFromHttp'
  | 'segmentsFromP2p'
  | 'segmentsMixed'
  | 'integrityFailures'
  | 'prefetchWastedBytes';

/** Per viewer, `to - from` (a viewer absent in `from` had not joined: zeros). */
function deltas(from: Moment, to: Moment): Array<Record<Summed, number>> {
  const keys: Summed[] = [
    'httpBytes',
    'p2pBytes',
    'uploadedBytes',
    'stalls',
    'stallMs',
    'fallbacks',
    'segmentsFromHttp',
    'segmentsFromP2p',
    'segmentsMixed',
    'integrityFailures',
    'prefetchWastedBytes',
  ];
  return to.viewers.map((after, index) => {
    const before = from.viewers[index] ?? zeroCounters();
    return Object.fromEntries(
      keys.map((key) => [key, Math.max(0, after[key] - before[key])]),
    ) as Record<Summed, number>;
  });
}

/** Σ over viewers of each CDN reason's growth from `from` to `to`. */
function cdnReasonsBetween(from: Moment, to: Moment): CdnReasonCounts {
  const total = cdnReasonCounts(null);
  to.viewers.forEach((after, index) => {
    const before = from.viewers[index]?.cdnReasons ?? cdnReasonCounts(null);
    for (const reason of CDN_REASONS)
      total[reason] += Math.max(0, after.cdnReasons[reason] - before[reason]);
  });
  return total;
}

/** What a stretch's byte counts and length say: offload, its share of the bound, the CDN's rate. */
function rates(
  bytes: { p2pBytes: number; cdnBytesViewers: number; cdnBytesEdge: number },
  durationSec: number,
  viewers: number,
): Pick<PhaseFigures, 'offload' | 'fractionOfMax' | 'cdnBitsPerSecEdge'> {
  const total = bytes.p2pBytes + bytes.cdnBytesViewers;
  const max = theoreticalMaxOffload(viewers);
  return {
    offload: offload(bytes.p2pBytes, bytes.cdnBytesViewers),
    // From the unrounded share, so that a swarm at the bound reads exactly 1.
    fractionOfMax: max === 0 || total === 0 ? 0 : round(bytes.p2pBytes / total / max),
    cdnBitsPerSecEdge: Math.round((bytes.cdnBytesEdge * 8) / Math.max(0.001, durationSec)),
  };
}

export function phaseFigures(from: Moment, to: Moment, viewers: number): PhaseFigures {
  const perViewer = deltas(from, to);
  const sum = (key: Summed) => perViewer.reduce((total, d) => total + d[key], 0);
  const durationSec = Math.max(0.001, (to.atMs - from.atMs) / 1000);
  const bytes = {
    p2pBytes: sum('p2pBytes'),
    cdnBytesViewers: sum('httpBytes'),
    cdnBytesEdge: Math.max(0, to.edgeBytesServed - from.edgeBytesServed),
  };
  return {
    durationSec: round(durationSec, 2),
    ...rates(bytes, durationSec, viewers),
    ...bytes,
    uploadedBytes: sum('uploadedBytes'),
    edgeRequests: Math.max(0, to.edgeRequests - from.edgeRequests),
    stalls: sum('stalls'),
    stallMs: Math.round(sum('stallMs')),
    fallbacks: sum('fallbacks'),
    segmentsFromHttp: sum('segmentsFromHttp'),
    segmentsFromP2p: sum('segmentsFromP2p'),
    segmentsMixed: sum('segmentsMixed'),
    cdnReasons: cdnReasonsBetween(from, to),
    integrityFailures: sum('integrityFailures'),
    prefetchWastedBytes: sum('prefetchWastedBytes'),
    cpu: cpuBetween(from.cpu, to.cpu),
  };
}

/**
 * A run's figures from three moments: `start` (before the first join), `windowStart` (every
 * viewer joined and playing, or the settle timeout passed) and `end` (the window's end).
 */
export function runFigures(
  spec: RunSpec,
  moments: { start: Moment; windowStart: Moment; end: Moment },
  joinedAtMs: readonly number[],
  otherProblems: readonly string[] = [],
): RunFigures {
  const { start, windowStart, end } = moments;
  const startups = end.viewers.map((v) => v.startupMs).filter((ms): ms is number => ms !== null);
  const windowDeltas = deltas(windowStart, end);
  const notStarted = spec.viewers - startups.length;
  const problems = [...otherProblems];
  if (notStarted > 0)
    problems.push(`${notStarted} of ${spec.viewers} viewers never started playing`);
  return {
    ...spec,
    theoreticalMaxOffload: round(theoreticalMaxOffload(spec.viewers)),
    window: phaseFigures(windowStart, end, spec.viewers),
    join: phaseFigures(start, windowStart, spec.viewers),
    whole: phaseFigures(start, end, spec.viewers),
    startupMsMedian: startups.length === 0 ? null : Math.round(median(startups)),
    startupMsMax: startups.length === 0 ? null : Math.round(Math.max(...startups)),
    notStarted,
    problems,
    perViewer: end.viewers.map((v, index) => ({
      index,
      joinedAtMs: Math.round(joinedAtMs[index] ?? 0),
      startupMs: v.startupMs === null ? null : Math.round(v.startupMs),
      offloadWindow: offload(windowDeltas[index]!.p2pBytes, windowDeltas[index]!.httpBytes),
      offloadWhole: offload(v.p2pBytes, v.httpBytes),
      httpBytes: v.httpBytes,
      p2pBytes: v.p2pBytes,
      uploadedBytes: v.uploadedBytes,
      httpBytesWindow: windowDeltas[index]!.httpBytes,
      p2pBytesWindow: windowDeltas[index]!.p2pBytes,
      stalls: v.stalls,
      stallMs: Math.round(v.stallMs),
      fallbacks: v.fallbacks,
      segmentsFromHttp: v.segmentsFromHttp,
      segmentsFromP2p: v.segmentsFromP2p,
      segmentsMixed: v.segmentsMixed,
      peersAtEnd: v.peers,
      trackerConnected: v.trackerConnected,
      error: v.error,
    })),
  };
}

/** Two stretches as one: counts and durations add up, ratios are recomputed from the sums. */
function poolPhases(a: PhaseFigures, b: PhaseFigures, viewers: number): PhaseFigures {
  const durationSec = round(a.durationSec + b.durationSec, 2);
  const bytes = {
    p2pBytes: a.p2pBytes + b.p2pBytes,
    cdnBytesViewers: a.cdnBytesViewers + b.cdnBytesViewers,
    cdnBytesEdge: a.cdnBytesEdge + b.cdnBytesEdge,
  };
  const cdnReasons = cdnReasonCounts(null);
  for (const reason of CDN_REASONS)
    cdnReasons[reason] = a.cdnReasons[reason] + b.cdnReasons[reason];
  const add = (x: Record<string, number>, y: Record<string, number>) => {
    const sum: Record<string, number> = { ...x };
    for (const [key, value] of Object.entries(y)) sum[key] = round((sum[key] ?? 0) + value, 2);
    return sum;
  };
  return {
    durationSec,
    ...rates(bytes, durationSec, viewers),
    ...bytes,
    uploadedBytes: a.uploadedBytes + b.uploadedBytes,
    edgeRequests: a.edgeRequests + b.edgeRequests,
    stalls: a.stalls + b.stalls,
    stallMs: a.stallMs + b.stallMs,
    fallbacks: a.fallbacks + b.fallbacks,
    segmentsFromHttp: a.segmentsFromHttp + b.segmentsFromHttp,
    segmentsFromP2p: a.segmentsFromP2p + b.segmentsFromP2p,
    segmentsMixed: a.segmentsMixed + b.segmentsMixed,
    cdnReasons,
    integrityFailures: a.integrityFailures + b.integrityFailures,
    prefetchWastedBytes: a.prefetchWastedBytes + b.prefetchWastedBytes,
    cpu: {
      servicesSec: add(a.cpu.servicesSec, b.cpu.servicesSec),
      servicesTotalSec: round(a.cpu.servicesTotalSec + b.cpu.servicesTotalSec, 2),
      browsersSec: round(a.cpu.browsersSec + b.cpu.browsersSec, 2),
      browsersByRoleSec: add(a.cpu.browsersByRoleSec, b.cpu.browsersByRoleSec),
      browsersByThreadSec: add(a.cpu.browsersByThreadSec, b.cpu.browsersByThreadSec),
      peersSec: round(a.cpu.peersSec + b.cpu.peersSec, 2),
      harnessSec: round(a.cpu.harnessSec + b.cpu.harnessSec, 2),
      loadAverage1mBefore: a.cpu.loadAverage1mBefore,
      loadAverage1mAfter: b.cpu.loadAverage1mAfter,
    },
  };
}

/** The start-ups of a run's viewers that started, ms. */
function startupsOf(run: RunFigures): number[] {
  return run.perViewer.map((v) => v.startupMs).filter((ms): ms is number => ms !== null);
}

/**
 * Rounds of the same run (`--rounds`) as one: windows and whole runs pooled (offload from the
 * summed bytes, stalls summed), start-up median and max over every viewer of every round.
 */
export function poolRuns(
  runs: readonly RunFigures[],
): RunFigures & { rounds: number; startupsByRoundMs: number[][] } {
  if (runs.length === 0) throw new RangeError('poolRuns needs at least one run');
  const [first, ...rest] = runs as [RunFigures, ...RunFigures[]];
  const pooled = rest.reduce(
    (acc, run) => ({
      ...acc,
      window: poolPhases(acc.window, run.window, acc.viewers),
      join: poolPhases(acc.join, run.join, acc.viewers),
      whole: poolPhases(acc.whole, run.whole, acc.viewers),
      notStarted: acc.notStarted + run.notStarted,
      problems: [...acc.problems, ...run.problems],
      perViewer: [...acc.perViewer, ...run.perViewer],
    }),
    first,
  );
  // Per round for the round-level interval; pooled (in run order) for the median and max.
  const startupsByRoundMs = runs.map(startupsOf);
  const startups = startupsByRoundMs.flat();
  const { round: _round, ...spec } = pooled;
  return {
    ...spec,
    startupMsMedian: startups.length === 0 ? null : Math.round(median(startups)),
    startupMsMax: startups.length === 0 ? null : Math.max(...startups),
    rounds: runs.length,
    startupsByRoundMs,
  };
}

/** The viewers' CPU with P2P against CDN-only, over two (pooled) windows. */
export interface P2pCpuCost {
  /** Extra CPU with P2P, cores (CPU s per window s): Chromium's, or the peer processes'. */
  extraCores: number;
  /**
   * The same per MB the viewers received from peers, CPU ms: each MB is sent by one viewer and
   * received by another, and both ends count. Null without bytes from peers.
   */
  cpuMsPerPeerMb: number | null;
  /** Browsers: the `role/thread`s whose CPU grew most with P2P, cores, largest first (≤ 6). */
  byThread: Array<{ thread: string; extraCores: number }>;
}

const COST_THREADS = 6;

export function p2pCpuCost(p2p: PhaseFigures, cdn: PhaseFigures): P2pCpuCost | null {
  if (p2p.durationSec <= 0 || cdn.durationSec <= 0) return null;
  const cores = (phase: PhaseFigures, sec: number) => sec / phase.durationSec;
  const viewersSec = (phase: PhaseFigures) => phase.cpu.browsersSec + phase.cpu.peersSec;
  const extraCores = cores(p2p, viewersSec(p2p)) - cores(cdn, viewersSec(cdn));
  const peerMbPerSec = p2p.p2pBytes / 1e6 / p2p.durationSec;
  const threads = new Set([
    ...Object.keys(p2p.cpu.browsersByThreadSec),
    ...Object.keys(cdn.cpu.browsersByThreadSec),
  ]);
  const byThread = [...threads]
    .map((thread) => ({
      thread,
      extraCores: round(
        cores(p2p, p2p.cpu.browsersByThreadSec[thread] ?? 0) -
          cores(cdn, cdn.cpu.browsersByThreadSec[thread] ?? 0),
        3,
      ),
    }))
    .filter((entry) => entry.extraCores > 0)
    .sort((a, b) => b.extraCores - a.extraCores)
    .slice(0, COST_THREADS);
  return {
    extraCores: round(extraCores, 3),
    cpuMsPerPeerMb: peerMbPerSec > 0 ? Math.round((extraCores / peerMbPerSec) * 1000) : null,
    byThread,
  };
}

/** A P2P run against its CDN-only baseline (same scenario, viewer kind and N, same invocation). */
export interface PairComparison {
  scenario: ScenarioName;
  kind: ViewerKind;
  viewers: number;
  /** Rounds pooled on each side (`--rounds`). */
  rounds: number;
  theoreticalMaxOffload: number;
  offloadWindow: number;
  offloadWhole: number;
  fractionOfMaxWindow: number;
  /** 1 - (edge bytes/s with P2P) / (edge bytes/s CDN-only), over the windows: the CDN's view. */
  edgeSavingsWindow: number;
  edgeSavingsWhole: number;
  stallsP2p: number;
  stallsCdn: number;
  stallMsP2p: number;
  stallMsCdn: number;
  startupMsMedianP2p: number | null;
  startupMsMedianCdn: number | null;
  startupMedianRatio: number | null;
  /**
   * Where the start-up ratio lies in 90% of resamples (invocationBootstrapRatio) of the rounds,
   * and of the invocations when pooled from several: how much of the ratio is the machine's
   * noise. Null with one invocation of fewer than 2 rounds.
   */
  startupRatioInterval: RatioInterval | null;
  startupMsMaxP2p: number | null;
  startupMsMaxCdn: number | null;
  /** What P2P costs the viewers' CPU in the windows (null when a window has no duration). */
  p2pCpuCost: P2pCpuCost | null;
  /** Either run's problems: the comparison is not a fair one while there are any. */
  problems: string[];
}

/**
 * A P2P run (or pooled rounds) against its CDN-only baseline. The start-up interval resamples
 * `startupInvocations` when given (rounds pooled from several invocations), else the rounds of
 * this one invocation.
 */
export function comparePair(
  p2p: RunFigures & { rounds?: number; startupsByRoundMs?: number[][] },
  cdn: RunFigures & { rounds?: number; startupsByRoundMs?: number[][] },
  startupInvocations?: readonly RoundsOfInvocation[],
): PairComparison {
  const savings = (a: PhaseFigures, b: PhaseFigures) =>
    b.cdnBytesEdge === 0
      ? 0
      : round(1 - a.cdnBytesEdge / a.durationSec / (b.cdnBytesEdge / b.durationSec));
  return {
    scenario: p2p.scenario,
    kind: p2p.kind,
    viewers: p2p.viewers,
    rounds: Math.min(p2p.rounds ?? 1, cdn.rounds ?? 1),
    theoreticalMaxOffload: p2p.theoreticalMaxOffload,
    offloadWindow: p2p.window.offload,
    offloadWhole: p2p.whole.offload,
    fractionOfMaxWindow: p2p.window.fractionOfMax,
    edgeSavingsWindow: savings(p2p.window, cdn.window),
    edgeSavingsWhole: savings(p2p.whole, cdn.whole),
    stallsP2p: p2p.whole.stalls,
    stallsCdn: cdn.whole.stalls,
    stallMsP2p: p2p.whole.stallMs,
    stallMsCdn: cdn.whole.stallMs,
    startupMsMedianP2p: p2p.startupMsMedian,
    startupMsMedianCdn: cdn.startupMsMedian,
    startupMedianRatio:
      p2p.startupMsMedian === null || cdn.startupMsMedian === null
        ? null
        : ratio(p2p.startupMsMedian, cdn.startupMsMedian),
    startupRatioInterval: startupInvocations
      ? invocationBootstrapRatio(startupInvocations)
      : p2p.startupsByRoundMs && cdn.startupsByRoundMs
        ? invocationBootstrapRatio([
            { candidate: p2p.startupsByRoundMs, baseline: cdn.startupsByRoundMs },
          ])
        : null,
    startupMsMaxP2p: p2p.startupMsMax,
    startupMsMaxCdn: cdn.startupMsMax,
    p2pCpuCost: p2pCpuCost(p2p.window, cdn.window),
    problems: [
      ...p2p.problems.map((problem) => `P2P run: ${problem}`),
      ...cdn.problems.map((problem) => `CDN-only run: ${problem}`),
    ],
  };
}

/** One invocation's rounds of one pair: its P2P and its CDN-only runs, in plan order. */
interface PairRounds {
  p2p: RunFigures[];
  cdn: RunFigures[];
}

/** A run's pair: same scenario, viewer kind and N. */
const pairKey = (run: RunSpec): string => `${run.scenario}/${run.kind}/${run.viewers}`;

/** An invocation's runs by pair (in plan order); only pairs with both deliveries. */
function roundsByPair(runs: readonly RunFigures[]): Map<string, PairRounds> {
  const byKey = new Map<string, PairRounds>();
  for (const run of runs) {
    const entry = byKey.get(pairKey(run)) ?? { p2p: [], cdn: [] };
    entry[run.delivery].push(run);
    byKey.set(pairKey(run), entry);
  }
  for (const [key, entry] of byKey)
    if (entry.p2p.length === 0 || entry.cdn.length === 0) byKey.delete(key);
  return byKey;
}

/**
 * Every pair of one or more invocations (each invocation: its runs), rounds pooled across
 * them, in order of first appearance. With several invocations the start-up interval draws
 * invocations too (`invocationBootstrapRatio`); with one it is the round-level interval.
 */
export function comparePairs(invocations: ReadonlyArray<readonly RunFigures[]>): PairComparison[] {
  const byKey = new Map<string, PairRounds[]>();
  for (const runs of invocations)
    for (const [key, rounds] of roundsByPair(runs))
      byKey.set(key, [...(byKey.get(key) ?? []), rounds]);
  return [...byKey.values()].map((parts) =>
    comparePair(
      poolRuns(parts.flatMap((part) => part.p2p)),
      poolRuns(parts.flatMap((part) => part.cdn)),
      parts.map((part) => ({
        candidate: part.p2p.map(startupsOf),
        baseline: part.cdn.map(startupsOf),
      })),
    ),
  );
}

/** The swarm's target (offload near the bound, no more stalls, start-up within 1.1x), on the LIVE pair with browsers. */
export interface TargetVerdict {
  viewers: number;
  /** 0.95 × (N-1)/N (79.2% at N = 6). */
  offloadFloor: number;
  offloadWindow: number;
  offloadMet: boolean;
  stallsP2p: number;
  stallsCdn: number;
  stallsMet: boolean;
  startupMedianRatio: number | null;
  startupRatioInterval: RatioInterval | null;
  startupMet: boolean;
  /** False when either run had a problem (a viewer that never played, code rebuilt mid-run). */
  valid: boolean;
  problems: string[];
  /** Every part met, on a valid pair. */
  met: boolean;
  /** The target is stated for 6 browsers; other N are checked against the same rule. */
  asStated: boolean;
}

export function liveSwarmTarget(pair: PairComparison): TargetVerdict {
  const offloadFloor = round(0.95 * theoreticalMaxOffload(pair.viewers));
  const offloadMet = pair.offloadWindow >= offloadFloor;
  const stallsMet = pair.stallsP2p <= pair.stallsCdn;
  const startupMet = pair.startupMedianRatio !== null && pair.startupMedianRatio <= 1.1;
  return {
    viewers: pair.viewers,
    offloadFloor,
    offloadWindow: pair.offloadWindow,
    offloadMet,
    stallsP2p: pair.stallsP2p,
    stallsCdn: pair.stallsCdn,
    stallsMet,
    startupMedianRatio: pair.startupMedianRatio,
    startupRatioInterval: pair.startupRatioInterval,
    startupMet,
    valid: pair.problems.length === 0,
    problems: pair.problems,
    met: pair.problems.length === 0 && offloadMet && stallsMet && startupMet,
    asStated: pair.scenario === 'live' && pair.kind === 'browsers' && pair.viewers === 6,
  };
}

/** The live swarm target's verdict on the LIVE pair with browsers among `pairs` (null: there is none). */
export function liveSwarmTargetOf(pairs: readonly PairComparison[]): TargetVerdict | null {
  const livePair = pairs.find((pair) => pair.scenario === 'live' && pair.kind === 'browsers');
  return livePair ? liveSwarmTarget(livePair) : null;
}

/** Extra joiners into a running P2P swarm (`--joiners`), P2P against CDN-only, pooled over rounds. */
export interface JoinerStartup {
  scenario: ScenarioName;
  p2pMs: number[];
  cdnMs: number[];
  /** Joiners that did not start within the probe's timeout. */
  notStartedP2p: number;
  notStartedCdn: number;
  medianMsP2p: number | null;
  medianMsCdn: number | null;
  medianRatio: number | null;
}

export function joinerStartup(
  scenario: ScenarioName,
  probes: ReadonlyArray<{
    p2pMs: ReadonlyArray<number | null>;
    cdnMs: ReadonlyArray<number | null>;
  }>,
): JoinerStartup {
  const started = (values: ReadonlyArray<number | null>) =>
    values.filter((ms): ms is number => ms !== null);
  const p2pAll = probes.flatMap((probe) => probe.p2pMs);
  const cdnAll = probes.flatMap((probe) => probe.cdnMs);
  const p2pMs = started(p2pAll);
  const cdnMs = started(cdnAll);
  const medianMsP2p = p2pMs.length === 0 ? null : Math.round(median(p2pMs));
  const medianMsCdn = cdnMs.length === 0 ? null : Math.round(median(cdnMs));
  return {
    scenario,
    p2pMs,
    cdnMs,
    notStartedP2p: p2pAll.length - p2pMs.length,
    notStartedCdn: cdnAll.length - cdnMs.length,
    medianMsP2p,
    medianMsCdn,
    medianRatio:
      medianMsP2p === null || medianMsCdn === null ? null : ratio(medianMsP2p, medianMsCdn),
  };
}
