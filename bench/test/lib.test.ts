import { describe, expect, it } from 'vitest';
import { formatTable, median, percentile, ratio } from '../src/lib/stats.js';
import { lineChartSvg } from '../src/lib/svg.js';

describe('bench statistics', () => {
  it('computes interpolated percentiles', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([5, 1, 3], 100)).toBe(5);
    expect(percentile([5, 1, 3], 0)).toBe(1);
    expect(median([])).toBeNaN();
  });

  it('reports ratios to a baseline', () => {
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(1, 0)).toBeNaN();
  });

  it('aligns tables', () => {
    const text = formatTable([
      { name: 'edge', rps: 1000 },
      { name: 'nginx', rps: 12.5 },
    ]);
    expect(text.split('\n')).toEqual([
      'name   rps   ',
      '-----  ------',
      'edge   1000  ',
      'nginx  12.500',
    ]);
  });
});

describe('svg line chart', () => {
  it('draws one path per series with escaped labels', () => {
    const svg = lineChartSvg({
      title: 'offload <live>',
      xLabel: 'viewers',
      yLabel: '%',
      series: [
        {
          name: 'coral',
          points: [
            { x: 1, y: 0 },
            { x: 6, y: 80 },
          ],
        },
        {
          name: 'limit',
          points: [
            { x: 1, y: 0 },
            { x: 6, y: 83 },
          ],
          dashed: true,
        },
      ],
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<path /g)).toHaveLength(2);
    expect(svg).toContain('offload &lt;live&gt;');
    expect(svg).toContain('stroke-dasharray');
  });
});
