/** Small statistics for benchmark reports. */

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

export const median = (values: readonly number[]): number => percentile(values, 50);

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((sum, v) => sum + v, 0) / values.length;
}

/** candidate / baseline, rounded to 3 decimals (NaN when the baseline is 0). */
export function ratio(candidate: number, baseline: number): number {
  return baseline === 0 ? Number.NaN : Math.round((candidate / baseline) * 1000) / 1000;
}

/** Print rows as an aligned text table. */
export function formatTable(rows: ReadonlyArray<Record<string, string | number>>): string {
  if (rows.length === 0) return '';
  const headers = Object.keys(rows[0]!);
  const cell = (value: string | number | undefined) =>
    typeof value === 'number'
      ? Number.isInteger(value)
        ? String(value)
        : value.toFixed(3)
      : (value ?? '');
  const widths = headers.map((h) => Math.max(h.length, ...rows.map((row) => cell(row[h]).length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ');
  return [
    line(headers),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((row) => line(headers.map((h) => cell(row[h])))),
  ].join('\n');
}

/** A small seeded PRNG (mulberry32): a benchmark's resampling gives the same interval twice. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RatioInterval {
  low: number;
  high: number;
  /** Central share of the resampled ratios the interval holds (0.9: the 5th to 95th percentile). */
  confidence: number;
  resamples: number;
  /** Invocations drawn from (1: only the rounds of one invocation were drawn). */
  invocations: number;
}

/** One invocation's rounds on each side of a comparison (each round: its values). */
export interface RoundsOfInvocation {
  candidate: ReadonlyArray<readonly number[]>;
  baseline: ReadonlyArray<readonly number[]>;
}

export interface BootstrapOptions {
  resamples?: number;
  confidence?: number;
  random?: () => number;
}

/**
 * How far the ratio of two medians (candidate / baseline) could move between resamples: a
 * cluster bootstrap that draws whole rounds (with replacement) on each side, pools their
 * values and takes the ratio of the medians. Rounds, not values, are drawn because values of
 * one round share its load; drawing values alone would call a noisy comparison precise.
 *
 * Over several invocations of a benchmark, pooled: each resample draws invocations with
 * replacement (one draw for both sides: an invocation's P2P and CDN-only rounds shared its
 * machine state), then, within each drawn invocation, its rounds with replacement on each side. Invocations on a shared machine differ more than rounds of one do; drawing them too
 * keeps that spread in the interval. With one invocation only rounds are drawn. Null when no
 * invocation has values on both sides, or with one invocation of fewer than two rounds a side.
 */
export function invocationBootstrapRatio(
  invocations: readonly RoundsOfInvocation[],
  options: BootstrapOptions = {},
): RatioInterval | null {
  const nonEmpty = (rounds: ReadonlyArray<readonly number[]>) =>
    rounds.filter((values) => values.length > 0);
  const usable = invocations
    .map((inv) => ({ candidate: nonEmpty(inv.candidate), baseline: nonEmpty(inv.baseline) }))
    .filter((inv) => inv.candidate.length > 0 && inv.baseline.length > 0);
  if (usable.length === 0) return null;
  if (usable.length === 1 && (usable[0]!.candidate.length < 2 || usable[0]!.baseline.length < 2))
    return null;
  const resamples = options.resamples ?? 2000;
  const confidence = options.confidence ?? 0.9;
  const random = options.random ?? seededRandom(0x5eed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const drawRounds = (rounds: ReadonlyArray<readonly number[]>, into: number[]) => {
    for (let i = 0; i < rounds.length; i++) into.push(...pick(rounds));
  };
  const ratios: number[] = [];
  for (let i = 0; i < resamples; i++) {
    // One invocation: nothing to draw at that level (and the same random sequence as before).
    const drawn = usable.length === 1 ? usable : usable.map(() => pick(usable));
    const baseline: number[] = [];
    const candidate: number[] = [];
    for (const inv of drawn) drawRounds(inv.baseline, baseline);
    for (const inv of drawn) drawRounds(inv.candidate, candidate);
    const base = median(baseline);
    if (base > 0) ratios.push(median(candidate) / base);
  }
  if (ratios.length === 0) return null;
  const tail = ((1 - confidence) / 2) * 100;
  const rounded = (value: number) => Math.round(value * 1000) / 1000;
  return {
    low: rounded(percentile(ratios, tail)),
    high: rounded(percentile(ratios, 100 - tail)),
    confidence,
    resamples,
    invocations: usable.length,
  };
}
