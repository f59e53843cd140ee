import type { CoralStats } from '@coral-cdn/hlsjs';
import {
  doubleLoadSummary,
  formatBitsPerSec,
  formatBytes,
  formatLatencySec,
  formatMs,
  formatPercent,
} from './format.js';
import type { RatePoint } from './history.js';

/** The overlay's current rates are over this window (segments arrive in bursts). */
export const OVERLAY_RATE_WINDOW_SEC = 10;

export interface OverlayElements {
  offload: HTMLElement;
  peers: HTMLElement;
  figures: HTMLElement;
}

/** The numbers beside the video: offload, bytes by source, peers, upload, QoE. */
export function renderOverlay(
  elements: OverlayElements,
  stats: CoralStats | null,
  rates: RatePoint,
  /** hls.js's live latency, s; null for VOD. */
  latencySec: number | null = null,
): void {
  if (!stats) {
    elements.offload.textContent = '–';
    elements.peers.textContent = '–';
    elements.figures.replaceChildren();
    return;
  }
  elements.offload.textContent = stats.p2pEnabled ? formatPercent(stats.offloadRatio) : 'off';
  elements.peers.textContent = stats.p2pEnabled ? String(stats.peers) : '–';
  const rows: Array<[string, string]> = [
    ['From the CDN', formatBytes(stats.httpBytes)],
    ['From peers (verified)', formatBytes(stats.p2pBytes)],
    ['Uploaded to peers', formatBytes(stats.uploadedBytes)],
    [
      `Download, last ${OVERLAY_RATE_WINDOW_SEC} s`,
      formatBitsPerSec(rates.httpBitsPerSec + rates.p2pBitsPerSec),
    ],
    [`Upload, last ${OVERLAY_RATE_WINDOW_SEC} s`, formatBitsPerSec(rates.uploadBitsPerSec)],
    ['Playlists, init (CDN)', formatBytes(stats.passthroughBytes)],
    ...(stats.partsFromHttp + stats.partsFromP2p > 0
      ? ([
          [
            'LL parts: peers / CDN',
            `${stats.partsFromP2p} (${formatBytes(stats.partP2pBytes)}) / ${stats.partsFromHttp} (${formatBytes(stats.partHttpBytes)})`,
          ],
          ['LL media loaded twice', doubleLoadSummary(stats.doubleLoads)],
        ] as Array<[string, string]>)
      : []),
    ['Rendition', stats.rendition ?? '–'],
    ['Buffer', `${stats.bufferedAheadSec.toFixed(1)} s`],
    ['Live latency', formatLatencySec(latencySec)],
    ['Start-up', formatMs(stats.startupMs)],
    ['Stalls', stats.stalls === 0 ? '0' : `${stats.stalls} (${formatMs(stats.stallMs)})`],
    ['Tracker', stats.p2pEnabled ? (stats.trackerConnected ? 'connected' : 'connecting…') : '–'],
    ['Peer → CDN fallbacks', String(stats.fallbacks)],
    ['Integrity failures', String(stats.integrityFailures)],
    ['Prefetched, unplayed', formatBytes(stats.prefetchWastedBytes)],
  ];
  const nodes: HTMLElement[] = [];
  for (const [name, value] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = name;
    const dd = document.createElement('dd');
    dd.textContent = value;
    nodes.push(dt, dd);
  }
  elements.figures.replaceChildren(...nodes);
}
