import type { PopulationSpec, ViewerProfile } from './population.js';

/**
 * A cohort's viewers drawn by stratified sampling: the same distributions as `drawViewer`, but
 * each category (access class, region, NAT type, rendition) takes exactly its share of the
 * cohort (largest remainders), and each access class's uplinks are spread over its quantiles.
 * A cohort of a few hundred drawn independently can miss a share by several points (a 250-viewer
 * draw had 5.6 % open NATs for 10 %, and 55 % 720p for 50 %), which moved its offload by 5
 * points; stratified, the cohort is the population in small.
 */

/** `count` labels, each label about `share × count` times (largest remainders), in share order. */
export function apportion<K extends string>(
  shares: Readonly<Record<K, number>>,
  count: number,
): K[] {
  const entries = (Object.entries(shares) as [K, number][]).filter(([, share]) => share > 0);
  const total = entries.reduce((sum, [, share]) => sum + share, 0);
  if (entries.length === 0 || total <= 0) return [];
  const exact = entries.map(([key, share]) => ({ key, exact: (share / total) * count }));
  const counts = exact.map((e) => Math.floor(e.exact));
  let left = count - counts.reduce((sum, c) => sum + c, 0);
  const byRemainder = exact
    .map((e, i) => ({ i, remainder: e.exact - Math.floor(e.exact) }))
    .sort((a, b) => b.remainder - a.remainder || a.i - b.i);
  for (const { i } of byRemainder) {
    if (left <= 0) break;
    counts[i]!++;
    left--;
  }
  return exact.flatMap((e, i) => Array<K>(counts[i]!).fill(e.key));
}

/** Fisher–Yates, in place. */
export function shuffle<T>(random: () => number, list: T[]): T[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return list;
}

/** The standard normal's quantile (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (p <= 0) return Number.NEGATIVE_INFINITY;
  if (p >= 1) return Number.POSITIVE_INFINITY;
  const a = [
    -39.6968302866538, 220.946098424521, -275.928510446969, 138.357751867269, -30.6647980661472,
    2.50662827745924,
  ];
  const b = [
    -54.4760987982241, 161.585836858041, -155.698979859887, 66.8013118877197, -13.2806815528857,
  ];
  const c = [
    -0.00778489400243029, -0.322396458041136, -2.40075827716184, -2.54973253934373,
    4.37466414146497, 2.93816398269878,
  ];
  const d = [0.00778469570904146, 0.32246712907004, 2.445134137143, 3.75440866190742];
  const low = 0.02425;
  if (p < low || p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(p < low ? p : 1 - p));
    const x =
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
    return p < low ? x : -x;
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

/** `count` draws of a log-normal, one from each of `count` equal-probability strata, shuffled. */
export function stratifiedLogNormal(
  random: () => number,
  median: number,
  sigma: number,
  count: number,
): number[] {
  const values: number[] = [];
  for (let i = 0; i < count; i++)
    values.push(median * Math.exp(sigma * normalQuantile((i + random()) / count)));
  return shuffle(random, values);
}

/** `count` viewers from the population's distributions, stratified (see the module comment). */
export function stratifiedProfiles(
  random: () => number,
  spec: PopulationSpec,
  count: number,
): ViewerProfile[] {
  const classes = spec.uplinks.classes;
  const classOf = shuffle(
    random,
    apportion(Object.fromEntries(classes.map((c, i) => [String(i), c.share])), count),
  ).map(Number);
  const regions = shuffle(
    random,
    apportion(Object.fromEntries(spec.regions.map((r) => [r.name, r.share])), count),
  );
  const nats = shuffle(random, apportion(spec.natShares, count));
  const renditions = shuffle(random, apportion(spec.renditionShares, count));
  const viewersOfClass = classes.map((_c, i) => classOf.filter((k) => k === i).length);
  // Per class, its viewers' rates spread over the class's distribution (uplinks drawn first).
  const ratesPerClass = (median: (c: (typeof classes)[number]) => number) =>
    classes.map((c, i) => stratifiedLogNormal(random, median(c), c.sigma, viewersOfClass[i]!));
  const uplinks = ratesPerClass((c) => c.uplinkMedianBitsPerSec);
  const downlinks = ratesPerClass((c) => c.downlinkMedianBitsPerSec);
  return classOf.map((k, i) => {
    const access = classes[k]!;
    return {
      uplinkBitsPerSec: Math.max(64_000, uplinks[k]!.pop()!),
      downlinkBitsPerSec: Math.max(512_000, downlinks[k]!.pop()!),
      connectionType: access.connectionType,
      region: regions[i]!,
      nat: nats[i]!,
      lossRate: access.lossRate,
      rendition: renditions[i]!,
    };
  });
}
