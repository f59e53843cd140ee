/** A grouped horizontal bar chart (SVG, no dependencies) for throughput comparisons. */

export interface BarGroup {
  readonly label: string;
  /** Each group has its own unit and scale. */
  readonly unit: string;
  readonly bars: ReadonlyArray<{ name: string; value: number }>;
}

const palette = ['#495057', '#0b7285', '#e8590c', '#f59f00', '#5f3dc4'];

function escapeXml(text: string): string {
  return text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  );
}

export function barChartSvg(options: { title: string; groups: readonly BarGroup[] }): string {
  const barHeight = 20;
  const gap = 6;
  const groupGap = 28;
  const left = 190;
  const width = 760;
  const plotWidth = width - left - 110;
  const parts: string[] = [];
  let y = 50;
  for (const group of options.groups) {
    parts.push(`<text x="10" y="${y - 8}" font-weight="bold">${escapeXml(group.label)}</text>`);
    const max = Math.max(...group.bars.map((b) => b.value), 1);
    group.bars.forEach((bar, i) => {
      const w = (bar.value / max) * plotWidth;
      parts.push(
        `<text x="${left - 8}" y="${y + barHeight * 0.7}" text-anchor="end">${escapeXml(bar.name)}</text>`,
        `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" fill="${palette[i % palette.length]}"/>`,
        `<text x="${(left + w + 6).toFixed(1)}" y="${y + barHeight * 0.7}">${bar.value.toFixed(0)} ${escapeXml(group.unit)}</text>`,
      );
      y += barHeight + gap;
    });
    y += groupGap;
  }
  const height = y;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="15">${escapeXml(options.title)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
