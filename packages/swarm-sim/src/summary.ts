import type { SimResult } from './simulate.js';

const pct = (value: number) => `${(value * 100).toFixed(1)}%`;

/** A short human summary of a run. */
export function summaryLines(result: SimResult): string[] {
  const { spec, totals, cost } = result;
  const lines = [
    ...(result.approximation ? [result.approximation.note] : []),
    `${spec.scenario}: ${totals.viewers} viewers, ${spec.durationSec} s ${spec.live ? 'live' : 'VOD'}, uplinks ${spec.population.uplinks.name}, renditions ${spec.renditions.map((r) => r.name).join('/')}, byte scale ${spec.byteScale}`,
    `offload ${pct(totals.offload)} (fluid bound ${pct(totals.fluidBound)}); by rendition ${Object.entries(
      totals.offloadByRendition,
    )
      .map(([name, value]) => `${name} ${pct(value)}`)
      .join(', ')}`,
    `CDN egress ${(totals.cdnEgressBytes / 1e9).toFixed(3)} GB, P2P ${(totals.p2pBytes / 1e9).toFixed(3)} GB; peer connections ${totals.peerConnectionsOpened} opened, ${totals.peerConnectionsFailed} failed (NAT)`,
    `start-up ms p50 ${result.startupMs.p50.toFixed(0)} p90 ${result.startupMs.p90.toFixed(0)} p99 ${result.startupMs.p99.toFixed(0)}; stalls: ${result.viewersWithStalls} viewers stalled${result.approximation ? ` (estimate; ${result.approximation.sampledViewersWithStalls} of ${result.approximation.sampledViewers} sampled)` : ''}, per viewer mean ${result.stallsPerViewer.mean.toFixed(2)} max ${result.stallsPerViewer.max}`,
    `segments from peers ${totals.segmentsFromP2p}; from the CDN by reason ${Object.entries(
      totals.cdnReasons,
    )
      .map(([reason, count]) => `${reason} ${count}`)
      .join(', ')}`,
    `tracker messages/s p50 ${result.trackerMessagesPerSec.p50.toFixed(0)} max ${result.trackerMessagesPerSec.max.toFixed(0)}`,
  ];
  if (result.window)
    lines.push(
      `window ${result.window.durationSec.toFixed(0)} s from t=${result.window.startSec.toFixed(0)} s: offload ${pct(result.window.offload)}, stalls ${result.window.stalls}`,
    );
  lines.push(
    `cost: ${cost.wallSec.toFixed(1)} s wall, peak RSS ${(cost.peakRssBytes / 2 ** 20).toFixed(0)} MiB, ${cost.timersFired} timers, ${cost.flowRecomputes} flow recomputes, ${cost.verifies} verifies (${cost.verifyCacheHits} cached)`,
  );
  return lines;
}
