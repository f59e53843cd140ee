import { scenarioSpec, simulate, type SimResult } from '@coral-cdn/swarm-sim';
import type { InternetEntry, InternetReference } from './internet-reference.js';

/** A real figure over the rounds: median and range. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** What the simulator gives for one scenario, P2P run beside its CDN-only run. */
export interface SimInternetFigures {
  readonly offload: number;
  readonly cdnSaved: number;
  readonly stallsP2p: number;
  readonly stallsCdn: number;
  readonly eligibleShare: number;
  /** Segments the P2P run's viewers took from the CDN, by the engine's reason. */
  readonly cdnReasons: Readonly<Record<string, number>>;
}

/** One reason's count of CDN segments per round (real) and per run (sim); real null: not kept. */
export interface ReasonComparison {
  readonly reason: string;
  readonly real: Spread | null;
  readonly sim: Spread;
}

export interface InternetValidationRow {
  readonly scenario: 'live' | 'vod';
  readonly viewers: number;
  readonly seed: number;
  /** LIVE viewers' distance from the live edge, segments (null: the player's 3). */
  readonly liveSyncSegments: number | null;
  readonly rounds: number;
  readonly reference: string;
  /** Simulated runs (same homes, each with its own run seed). */
  readonly simRuns: number;
  readonly realOffload: Spread;
  readonly simOffload: Spread;
  readonly realCdnSaved: Spread;
  readonly simCdnSaved: Spread;
  /** sim median − real median, percentage points. */
  readonly offloadDeltaPoints: number;
  readonly cdnSavedDeltaPoints: number;
  /** Stalls with P2P, one per round. */
  readonly realStallsP2p: readonly number[];
  /** Stalls with P2P, one per simulated run. */
  readonly simStallsP2p: readonly number[];
  readonly realEligibleShare: number;
  readonly simEligibleShare: number;
  readonly withinFivePoints: boolean;
  /** Why the CDN was asked, real rounds beside simulated runs: which model is off, where. */
  readonly cdnReasons: readonly ReasonComparison[];
  /** CPU time of the two simulations (P2P and CDN-only), s. */
  readonly simCpuSec: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function spread(values: readonly number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** The internet benchmark's figures from a P2P and a CDN-only simulation (pure). */
export function simInternetFigures(p2p: SimResult, cdn: SimResult): SimInternetFigures {
  const stalls = (r: SimResult) => r.viewers.reduce((sum, v) => sum + v.stalls, 0);
  const took = p2p.viewers.filter((v) => v.p2pBytes > 0 || v.uploadedBytes > 0).length;
  return {
    offload: p2p.totals.offload,
    // As the benchmark: the CDN's bytes (segments and playlists) with P2P over CDN-only.
    cdnSaved:
      cdn.totals.cdnEgressBytes > 0 ? 1 - p2p.totals.cdnEgressBytes / cdn.totals.cdnEgressBytes : 0,
    stallsP2p: stalls(p2p),
    stallsCdn: stalls(cdn),
    eligibleShare: p2p.viewers.length > 0 ? took / p2p.viewers.length : 0,
    cdnReasons: p2p.totals.cdnReasons,
  };
}

/** Each reason the simulator counts, as spreads over the rounds that kept reasons and the runs. */
function compareReasons(
  entries: readonly InternetEntry[],
  sims: readonly SimInternetFigures[],
): ReasonComparison[] {
  const kept = entries.flatMap((e) => (e.cdnReasonsP2p ? [e.cdnReasonsP2p] : []));
  return Object.keys(sims[0]!.cdnReasons).map((reason) => ({
    reason,
    real: kept.length > 0 ? spread(kept.map((r) => r[reason] ?? 0)) : null,
    sim: spread(sims.map((s) => s.cdnReasons[reason] ?? 0)),
  }));
}

/** Real rounds beside the simulator's runs, median against median (pure). */
export function compareInternet(
  reference: InternetReference,
  scenario: 'live' | 'vod',
  sims: readonly SimInternetFigures[],
  simCpuSec: number,
): InternetValidationRow {
  if (sims.length === 0) throw new RangeError('no simulated runs to compare');
  const entries: InternetEntry[] = reference.rounds.flatMap((round) =>
    round.entries.filter((e) => e.scenario === scenario),
  );
  if (entries.length === 0) throw new RangeError(`no ${scenario} rounds in ${reference.label}`);
  const realOffload = spread(entries.map((e) => e.offload));
  const realCdnSaved = spread(entries.map((e) => e.cdnSaved));
  const simOffload = spread(sims.map((s) => s.offload));
  const simCdnSaved = spread(sims.map((s) => s.cdnSaved));
  const offloadDeltaPoints = (simOffload.median - realOffload.median) * 100;
  const cdnSavedDeltaPoints = (simCdnSaved.median - realCdnSaved.median) * 100;
  return {
    scenario,
    viewers: reference.settings.viewers,
    seed: reference.settings.seed,
    liveSyncSegments: reference.settings.liveSyncSegments ?? null,
    rounds: entries.length,
    reference: reference.label,
    simRuns: sims.length,
    realOffload,
    simOffload,
    realCdnSaved,
    simCdnSaved,
    offloadDeltaPoints,
    cdnSavedDeltaPoints,
    realStallsP2p: entries.map((e) => e.stallsP2p),
    simStallsP2p: sims.map((s) => s.stallsP2p),
    realEligibleShare: median(entries.map((e) => e.eligibleShare)),
    simEligibleShare: median(sims.map((s) => s.eligibleShare)),
    withinFivePoints: Math.abs(offloadDeltaPoints) <= 5 && Math.abs(cdnSavedDeltaPoints) <= 5,
    cdnReasons: compareReasons(entries, sims),
    simCpuSec,
  };
}

/**
 * Simulated runs per scenario: a 6-home swarm's offload swings with a few lost handshakes and
 * slow transfers (the real rounds do too), so medians are compared.
 */
export const SIM_RUNS = 9;

/** Simulate the benchmark's scenario on its population (P2P, then CDN-only) and compare. */
export async function validateInternet(
  reference: InternetReference,
  scenario: 'live' | 'vod',
  runs = SIM_RUNS,
): Promise<InternetValidationRow> {
  const s = reference.settings;
  const options = {
    viewers: s.viewers,
    seed: s.seed,
    watchSec: s.watchSec,
    joinIntervalMs: scenario === 'live' ? s.liveJoinIntervalMs : s.vodJoinIntervalMs,
    ...(s.liveSyncSegments != null ? { liveSyncSegments: s.liveSyncSegments } : {}),
  };
  const name = scenario === 'live' ? 'lab-internet-live' : 'lab-internet-vod';
  const cpuBefore = process.cpuUsage();
  const sims: SimInternetFigures[] = [];
  for (let run = 0; run < runs; run++) {
    // The homes come from the benchmark's seed; each run draws its own chances.
    const runSeed = s.seed * 1000 + run;
    const p2p = await simulate(scenarioSpec(name, { ...options, runSeed, p2p: true }));
    const cdn = await simulate(scenarioSpec(name, { ...options, runSeed, p2p: false }));
    sims.push(simInternetFigures(p2p, cdn));
  }
  const cpu = process.cpuUsage(cpuBefore);
  return compareInternet(reference, scenario, sims, (cpu.user + cpu.system) / 1e6);
}

const pct = (value: number) => `${(value * 100).toFixed(1)}%`;
const range = (s: Spread) => `${pct(s.median)} (${pct(s.min)}–${pct(s.max)})`;
const points = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(1)}`;

/** A validation row's scenario as the tables name it. */
function scenarioLabel(row: InternetValidationRow): string {
  return (
    `${row.scenario} ${row.viewers} internet (seed ${row.seed})` +
    (row.liveSyncSegments === null ? '' : `, ${row.liveSyncSegments} segments behind`)
  );
}

/** Table rows: real median (range over rounds) beside the simulator, Δ in points. */
export function internetTable(
  rows: readonly InternetValidationRow[],
): Array<Record<string, string>> {
  return rows.map((row) => ({
    scenario: scenarioLabel(row),
    'rounds real/sim': `${row.rounds}/${row.simRuns}`,
    'offload real': range(row.realOffload),
    'offload sim': range(row.simOffload),
    'Δ pts': points(row.offloadDeltaPoints),
    'CDN saved real': range(row.realCdnSaved),
    'CDN saved sim': range(row.simCdnSaved),
    'Δ pts ': points(row.cdnSavedDeltaPoints),
    'stalls real/sim': `${row.realStallsP2p.join(',')}/${row.simStallsP2p.join(',')}`,
    'eligible real/sim': `${pct(row.realEligibleShare)}/${pct(row.simEligibleShare)}`,
    '±5 pts': row.withinFivePoints ? 'yes' : 'NO',
    'sim cpu s': row.simCpuSec.toFixed(2),
  }));
}

const count = (s: Spread) => `${s.median} (${s.min}–${s.max})`;

/**
 * Table rows of the CDN segments by reason, real median (range over rounds) / sim median (range
 * over runs), for the rows whose rounds kept reasons; a reason neither side ever counted is left
 * out.
 */
export function internetReasonsTable(
  rows: readonly InternetValidationRow[],
): Array<Record<string, string>> {
  const reasons = [...new Set(rows.flatMap((row) => row.cdnReasons.map((c) => c.reason)))];
  const shown = reasons.filter((reason) =>
    rows.some((row) =>
      row.cdnReasons.some(
        (c) => c.reason === reason && c.real !== null && c.real.max + c.sim.max > 0,
      ),
    ),
  );
  return rows
    .filter((row) => row.cdnReasons.some((c) => c.real !== null))
    .map((row) => {
      const line: Record<string, string> = { scenario: scenarioLabel(row) };
      for (const reason of shown) {
        const c = row.cdnReasons.find((x) => x.reason === reason);
        line[reason] = c?.real ? `${count(c.real)} / ${count(c.sim)}` : '-';
      }
      return line;
    });
}
