import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { DashboardPoint } from '../../src/swarm-stats.js';
import { formatBitsPerSec } from './format.js';

/**
 * The analytics page's charts, drawn with uPlot (bundled by the page's build): delivery by
 * source and upload in bit/s, offload over the same window, and viewers with the P2P-eligible ones, both on a time axis.
 */

const COLORS = {
  http: '#f0883e',
  p2p: '#3fb950',
  up: '#58a6ff',
  tried: '#8b949e',
  axis: '#8b949e',
};
const GRID = { stroke: '#30363d', width: 1 };

/** Columns as uPlot takes them: x in Unix seconds, one array per series, null for a gap. */
export type DeliveryData = [
  number[],
  Array<number | null>,
  Array<number | null>,
  Array<number | null>,
];
export type ViewerData = [number[], number[], number[], number[]];

export function deliveryData(history: readonly DashboardPoint[]): DeliveryData {
  return [
    history.map((p) => p.atMs / 1000),
    history.map((p) => p.httpBitsPerSec),
    history.map((p) => p.p2pBitsPerSec),
    history.map((p) => p.uploadBitsPerSec),
  ];
}

/** Offload in percent (uPlot's axis then reads 0–100 %). */
export function offloadData(history: readonly DashboardPoint[]): [number[], Array<number | null>] {
  return [
    history.map((p) => p.atMs / 1000),
    history.map((p) => (p.offloadRatio === null ? null : p.offloadRatio * 100)),
  ];
}

export function viewerData(history: readonly DashboardPoint[]): ViewerData {
  return [
    history.map((p) => p.atMs / 1000),
    history.map((p) => p.viewers),
    history.map((p) => p.tried),
    history.map((p) => p.eligible),
  ];
}

/** Axis ticks and legend values in bit/s with a unit ("2.5 Mbit/s"). */
const bitsValue = (_u: uPlot, value: number | null) =>
  value === null ? '–' : formatBitsPerSec(value);

function axes(yValues: uPlot.Axis['values'], ySize: number): uPlot.Axis[] {
  return [
    { stroke: COLORS.axis, grid: GRID, ticks: GRID },
    { stroke: COLORS.axis, grid: GRID, ticks: GRID, values: yValues, size: ySize },
  ];
}

export interface DashboardCharts {
  update(history: readonly DashboardPoint[], rateWindowSec: number): void;
  /** What each chart holds now (for automation: the page's tests compare it with the API). */
  data(): { delivery: uPlot.AlignedData; offload: uPlot.AlignedData; viewers: uPlot.AlignedData };
  destroy(): void;
}

export function createCharts(
  deliveryTarget: HTMLElement,
  offloadTarget: HTMLElement,
  viewersTarget: HTMLElement,
  /** Where the page says the rates' window (these are moving-window rates, not per second). */
  rateWindowLabel: HTMLElement,
): DashboardCharts {
  const width = () => Math.max(320, deliveryTarget.clientWidth);
  const delivery = new uPlot(
    {
      width: width(),
      height: 220,
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: axes((_u, ticks) => ticks.map((tick) => formatBitsPerSec(tick)), 80),
      series: [
        {},
        {
          label: 'CDN',
          stroke: COLORS.http,
          fill: `${COLORS.http}33`,
          width: 2,
          value: bitsValue,
        },
        {
          label: 'peers',
          stroke: COLORS.p2p,
          fill: `${COLORS.p2p}33`,
          width: 2,
          value: bitsValue,
        },
        { label: 'upload', stroke: COLORS.up, width: 2, dash: [6, 4], value: bitsValue },
      ],
      legend: { live: true },
    },
    deliveryData([]),
    deliveryTarget,
  );
  const offload = new uPlot(
    {
      width: width(),
      height: 120,
      scales: { x: { time: true }, y: { range: [0, 100] } },
      axes: axes((_u, ticks) => ticks.map((tick) => `${tick} %`), 50),
      series: [
        {},
        {
          label: 'offload (peer share)',
          stroke: COLORS.p2p,
          width: 2,
          value: (_u, value) => (value === null ? '–' : `${value.toFixed(0)} %`),
        },
      ],
    },
    offloadData([]),
    offloadTarget,
  );
  const viewers = new uPlot(
    {
      width: width(),
      height: 160,
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: axes(
        (_u, ticks) => ticks.map((tick) => (Number.isInteger(tick) ? String(tick) : '')),
        50,
      ),
      series: [
        {},
        { label: 'viewers (P2P on)', stroke: COLORS.up, width: 2 },
        { label: 'tried a peer connection', stroke: COLORS.tried, width: 1, dash: [4, 4] },
        { label: 'P2P-eligible', stroke: COLORS.p2p, width: 2 },
      ],
    },
    viewerData([]),
    viewersTarget,
  );
  const onResize = () => {
    delivery.setSize({ width: width(), height: 220 });
    offload.setSize({ width: width(), height: 120 });
    viewers.setSize({ width: width(), height: 160 });
  };
  window.addEventListener('resize', onResize);
  let destroyed = false;
  return {
    update(history, rateWindowSec) {
      rateWindowLabel.textContent = `bit/s over a moving ${rateWindowSec} s window, all viewers, from their beacons`;
      delivery.setData(deliveryData(history));
      offload.setData(offloadData(history));
      viewers.setData(viewerData(history));
    },
    data: () => ({ delivery: delivery.data, offload: offload.data, viewers: viewers.data }),
    destroy() {
      if (destroyed) return;
      destroyed = true;
      window.removeEventListener('resize', onResize);
      delivery.destroy();
      offload.destroy();
      viewers.destroy();
    },
  };
}
