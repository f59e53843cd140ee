import type { RatePoint } from './history.js';

const COLORS = { http: '#f0883e', p2p: '#3fb950', up: '#58a6ff', grid: '#30363d', text: '#8b949e' };

/**
 * Download by source (stacked: CDN below, peers above) and upload (a line) over time, in bit/s,
 * scaled to the largest value shown.
 */
export function drawChart(
  canvas: HTMLCanvasElement,
  points: readonly RatePoint[],
  windowSec: number,
): void {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || canvas.width;
  const height = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  const top = 14;
  const bottom = height - 4;
  const plotHeight = bottom - top;
  const max = Math.max(
    1,
    ...points.map((p) => Math.max(p.httpBitsPerSec + p.p2pBitsPerSec, p.uploadBitsPerSec)),
  );
  const scale = niceCeiling(max);
  ctx.strokeStyle = COLORS.grid;
  ctx.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = top + (plotHeight * i) / 4;
    ctx.beginPath();
    ctx.moveTo(0, y);
    ctx.lineTo(width, y);
    ctx.stroke();
  }
  ctx.fillStyle = COLORS.text;
  ctx.font = '10px system-ui, sans-serif';
  ctx.fillText(`${formatScale(scale)}`, 4, 10);
  if (points.length === 0) return;
  const endMs = points[points.length - 1]!.atMs;
  const x = (atMs: number) => width - ((endMs - atMs) / (windowSec * 1000)) * width;
  const y = (bits: number) => bottom - (bits / scale) * plotHeight;
  const area = (
    lower: (p: RatePoint) => number,
    upper: (p: RatePoint) => number,
    color: string,
  ) => {
    ctx.beginPath();
    points.forEach((p, i) =>
      i === 0 ? ctx.moveTo(x(p.atMs), y(upper(p))) : ctx.lineTo(x(p.atMs), y(upper(p))),
    );
    for (let i = points.length - 1; i >= 0; i--)
      ctx.lineTo(x(points[i]!.atMs), y(lower(points[i]!)));
    ctx.closePath();
    ctx.fillStyle = color;
    ctx.globalAlpha = 0.75;
    ctx.fill();
    ctx.globalAlpha = 1;
  };
  area(
    () => 0,
    (p) => p.httpBitsPerSec,
    COLORS.http,
  );
  area(
    (p) => p.httpBitsPerSec,
    (p) => p.httpBitsPerSec + p.p2pBitsPerSec,
    COLORS.p2p,
  );
  ctx.beginPath();
  points.forEach((p, i) =>
    i === 0
      ? ctx.moveTo(x(p.atMs), y(p.uploadBitsPerSec))
      : ctx.lineTo(x(p.atMs), y(p.uploadBitsPerSec)),
  );
  ctx.strokeStyle = COLORS.up;
  ctx.lineWidth = 2;
  ctx.stroke();
}

function niceCeiling(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

function formatScale(bits: number): string {
  if (bits >= 1e6) return `${bits / 1e6} Mbit/s`;
  if (bits >= 1e3) return `${bits / 1e3} kbit/s`;
  return `${bits} bit/s`;
}
