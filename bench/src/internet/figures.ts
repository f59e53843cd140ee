import type { NatKind } from '@coral-cdn/netlab';
import { emptyCdnReasons, type CdnReason } from '@coral-cdn/p2p-engine';
import { populationBounds, type Viewer } from './population.js';

/** What one viewer did in one run. */
export interface ViewerOutcome {
  index: number;
  nat: NatKind;
  upMbit: number;
  rttMs: number;
  lossRate: number;
  httpBytes: number;
  /** Segments this viewer fetched (wholly or in part) from the CDN, by the engine's reason. */
  cdnReasons: Record<CdnReason, number>;
  p2pBytes: number;
  uploadedBytes: number;
  stalls: number;
  stallMs: number;
  startupMs: number | null;
  playedSec: number;
  error: string | null;
}

/** One `internet.json` entry: a scenario (LIVE or VOD) with P2P beside CDN-only. */
export interface InternetEntry {
  scenario: 'live' | 'vod';
  viewers: number;
  /** Measured: share of viewers that received or sent peer bytes (> 0). */
  eligibleShare: number;
  /** Predicted from the NATs (cone homes, no relay): share of viewers that could take part. */
  eligibleShareByNat: number;
  /** (E−1)/N: the share of all viewers' bytes peers could carry. */
  bound: number;
  /** The bound limited by the eligible viewers' uplinks. */
  uplinkBound: number;
  /** 1 − the edge's bytes served with P2P / with CDN-only (same viewers, same watch time). */
  cdnSaved: number;
  /**
   * The same from the viewers' own CDN byte counts: media segments only (the edge's count also
   * has playlists and the integrity manifests).
   */
  cdnSavedByViewers: number;
  edgeBytesP2p: number;
  edgeBytesCdn: number;
  /** cdnSaved / min(bound, uplinkBound). */
  cdnSavedOfBound: number;
  /** cdnSavedByViewers / min(bound, uplinkBound): the fraction of the bound on segment bytes. */
  cdnSavedSegmentsOfBound: number;
  /** Peer bytes / all segment bytes, P2P run. */
  offload: number;
  /** CDN segments of the P2P run by the engine's reason, summed over the viewers. */
  cdnReasonsP2p: Record<CdnReason, number>;
  stallsP2p: number;
  stallsCdn: number;
  stallMsP2p: number;
  stallMsCdn: number;
  startupMsP2p: number | null;
  startupMsCdn: number | null;
  /** Median start-up with P2P / median start-up CDN-only. */
  startupRatio: number | null;
  /** Media played per viewer, s, median (P2P / CDN-only): runs are comparable. */
  playedSecP2p: number;
  playedSecCdn: number;
  errors: string[];
  outcomesP2p: ViewerOutcome[];
  outcomesCdn: ViewerOutcome[];
  /** Printed lines. */
  report: string[];
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** CDN segments by reason, summed over the outcomes. */
export function sumReasons(outcomes: readonly ViewerOutcome[]): Record<CdnReason, number> {
  const total = emptyCdnReasons();
  for (const o of outcomes)
    for (const reason of Object.keys(total) as CdnReason[]) total[reason] += o.cdnReasons[reason];
  return total;
}

/** `elected 5, deadline 3` (reasons with a count, most first); `-` for none. */
export function formatReasons(reasons: Readonly<Record<string, number>>): string {
  const parts = Object.entries(reasons)
    .filter(([, count]) => count > 0)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([reason, count]) => `${reason} ${count}`);
  return parts.length > 0 ? parts.join(', ') : '-';
}
const kib = (bytes: number) => `${Math.round(bytes / 1024)} KiB`;

/** Figures of one scenario from both runs' outcomes (pure). */
export function summarize(
  scenario: 'live' | 'vod',
  population: readonly Viewer[],
  outcomes: { p2p: readonly ViewerOutcome[]; cdn: readonly ViewerOutcome[] },
  edgeBytes: { p2p: number; cdn: number },
  bitrateMbit: number,
): InternetEntry {
  const { p2p, cdn } = outcomes;
  const bounds = populationBounds(population, bitrateMbit);
  const httpP2p = sum(p2p.map((o) => o.httpBytes));
  const peerP2p = sum(p2p.map((o) => o.p2pBytes));
  const httpCdn = sum(cdn.map((o) => o.httpBytes));
  // The edge's bytes, not the viewers' counts: they include playlists and whatever a viewer
  // fetched and dropped, which is what the CDN really serves.
  const cdnSaved = edgeBytes.cdn > 0 ? 1 - edgeBytes.p2p / edgeBytes.cdn : 0;
  const cdnSavedByViewers = httpCdn > 0 ? 1 - httpP2p / httpCdn : 0;
  const limit = Math.min(bounds.bound, bounds.uplinkBound);
  const startupMsP2p = median(p2p.flatMap((o) => (o.startupMs === null ? [] : [o.startupMs])));
  const startupMsCdn = median(cdn.flatMap((o) => (o.startupMs === null ? [] : [o.startupMs])));
  const entry: Omit<InternetEntry, 'report'> = {
    scenario,
    viewers: population.length,
    eligibleShare: p2p.filter((o) => o.p2pBytes > 0 || o.uploadedBytes > 0).length / p2p.length,
    eligibleShareByNat: bounds.eligibleShare,
    bound: bounds.bound,
    uplinkBound: bounds.uplinkBound,
    cdnSaved,
    cdnSavedByViewers,
    edgeBytesP2p: edgeBytes.p2p,
    edgeBytesCdn: edgeBytes.cdn,
    cdnSavedOfBound: limit > 0 ? cdnSaved / limit : 0,
    cdnSavedSegmentsOfBound: limit > 0 ? cdnSavedByViewers / limit : 0,
    offload: httpP2p + peerP2p > 0 ? peerP2p / (httpP2p + peerP2p) : 0,
    cdnReasonsP2p: sumReasons(p2p),
    stallsP2p: sum(p2p.map((o) => o.stalls)),
    stallsCdn: sum(cdn.map((o) => o.stalls)),
    stallMsP2p: sum(p2p.map((o) => o.stallMs)),
    stallMsCdn: sum(cdn.map((o) => o.stallMs)),
    startupMsP2p,
    startupMsCdn,
    startupRatio: startupMsP2p !== null && startupMsCdn ? startupMsP2p / startupMsCdn : null,
    playedSecP2p: median(p2p.map((o) => o.playedSec)) ?? 0,
    playedSecCdn: median(cdn.map((o) => o.playedSec)) ?? 0,
    errors: [...p2p, ...cdn].flatMap((o) => (o.error ? [`viewer ${o.index + 1}: ${o.error}`] : [])),
    outcomesP2p: [...p2p],
    outcomesCdn: [...cdn],
  };
  const report = [
    `${scenario.toUpperCase()}: ${entry.viewers} viewers; eligible ${pct(entry.eligibleShare)} measured ` +
      `(peer bytes > 0), ${pct(entry.eligibleShareByNat)} by NAT`,
    `  offload ${pct(entry.offload)}; CDN saved ${pct(cdnSaved)} (edge ${kib(edgeBytes.p2p)} vs ${kib(edgeBytes.cdn)} CDN-only; ` +
      `by the viewers' counts ${pct(cdnSavedByViewers)}); ` +
      `bound ${pct(entry.bound)}, uplink-limited ${pct(entry.uplinkBound)}; saved/bound ${entry.cdnSavedOfBound.toFixed(2)} ` +
      `(segment bytes only ${entry.cdnSavedSegmentsOfBound.toFixed(2)})`,
    `  stalls ${entry.stallsP2p} (${entry.stallMsP2p} ms) vs ${entry.stallsCdn} (${entry.stallMsCdn} ms) CDN-only; ` +
      `start-up median ${startupMsP2p?.toFixed(0) ?? '-'} vs ${startupMsCdn?.toFixed(0) ?? '-'} ms ` +
      `(ratio ${entry.startupRatio?.toFixed(2) ?? '-'}); played ${entry.playedSecP2p.toFixed(1)} vs ${entry.playedSecCdn.toFixed(1)} s`,
    `  CDN segments with P2P by reason: ${formatReasons(entry.cdnReasonsP2p)}`,
    ...p2p.map(
      (o) =>
        `  viewer ${String(o.index + 1).padStart(2)} ${o.nat.padEnd(11)} up ${String(o.upMbit).padStart(4)} ` +
        `RTT ${String(o.rttMs).padStart(3)}: CDN ${kib(o.httpBytes)}, peers ${kib(o.p2pBytes)}, ` +
        `sent ${kib(o.uploadedBytes)}, stalls ${o.stalls}, start-up ${o.startupMs?.toFixed(0) ?? '-'} ms; ` +
        `CDN segments: ${formatReasons(o.cdnReasons)}` +
        (o.error ? `, error ${o.error}` : ''),
    ),
    ...entry.errors.map((e) => `  ! ${e}`),
  ];
  return { ...entry, report };
}
