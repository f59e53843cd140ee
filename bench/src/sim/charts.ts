import type { SimResult } from '@coral-cdn/swarm-sim';
import { lineChartSvg } from '../lib/svg.js';
import type { SweepPoint } from './sweep.js';

/** Offload against audience size, with the fluid bound beside it. */
export function offloadChart(points: readonly SweepPoint[], title: string): string {
  const renditions = [...new Set(points.flatMap((p) => Object.keys(p.offloadByRendition)))];
  return lineChartSvg({
    title,
    xLabel: 'viewers (log10)',
    yLabel: 'offload %',
    yMin: 0,
    yMax: 100,
    series: [
      {
        name: 'offload',
        points: points.map((p) => ({ x: Math.log10(p.viewers), y: p.offload * 100 })),
      },
      {
        name: 'fluid bound',
        dashed: true,
        points: points.map((p) => ({ x: Math.log10(p.viewers), y: p.fluidBound * 100 })),
      },
      ...renditions.map((name) => ({
        name,
        points: points.map((p) => ({
          x: Math.log10(p.viewers),
          y: (p.offloadByRendition[name] ?? 0) * 100,
        })),
      })),
    ],
  });
}

/** CDN egress over an event, beside what the same audience would take without P2P. */
export function egressChart(result: SimResult, title: string): string {
  const samples = result.samples;
  const renditions = [
    ...new Set(samples.flatMap((s) => Object.keys(s.cdnEgressBitsPerSecByRendition))),
  ];
  return lineChartSvg({
    title,
    xLabel: 'time (s)',
    yLabel: 'CDN egress, Mbit/s',
    yMin: 0,
    series: [
      {
        name: 'CDN egress',
        points: samples.map((s) => ({ x: s.tSec, y: s.cdnEgressBitsPerSec / 1e6 })),
      },
      {
        name: 'CDN-only',
        dashed: true,
        points: samples.map((s) => ({ x: s.tSec, y: cdnOnlyBitsPerSec(result, s.viewers) / 1e6 })),
      },
      ...renditions
        .filter((name) => name !== 'control')
        .map((name) => ({
          name: `egress ${name}`,
          points: samples.map((s) => ({
            x: s.tSec,
            y: (s.cdnEgressBitsPerSecByRendition[name] ?? 0) / 1e6,
          })),
        })),
    ],
  });
}

/** What the audience would take from the CDN without P2P: each viewer its rendition's bitrate. */
function cdnOnlyBitsPerSec(result: SimResult, viewers: number): number {
  const { renditions, population } = result.spec;
  const shares = population.renditionShares;
  const total = Object.values(shares).reduce((sum, v) => sum + v, 0);
  const meanBitrate = renditions.reduce(
    (sum, r) => sum + ((shares[r.name] ?? 0) / total) * r.bitrateBitsPerSec,
    0,
  );
  return viewers * meanBitrate;
}
