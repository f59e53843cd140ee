import { describe, expect, it } from 'vitest';
import {
  formatTable,
  mean,
  median,
  percentile,
  ratio,
  roundBootstrapRatio,
  seededRandom,
} from '../src/lib/stats.js';
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

  it('bounds a ratio of medians by resampling whole rounds', () => {
    // Every round of each side alike: nothing moves between rounds, the interval is the ratio.
    const steady = roundBootstrapRatio(
      [
        [200, 220, 240],
        [200, 220, 240],
      ],
      [
        [100, 110, 120],
        [100, 110, 120],
      ],
    );
    expect(steady).toMatchObject({ low: 2, high: 2, confidence: 0.9, resamples: 2000 });
    // One slow round of three on the candidate's side: the ratio may be 1 or 3 by the draw.
    const noisy = roundBootstrapRatio(
      [
        [100, 100],
        [100, 100],
        [300, 300],
      ],
      [[100], [100], [100]],
    )!;
    expect(noisy.low).toBe(1);
    expect(noisy.high).toBe(3);
    // The same seed, the same interval; a run can be checked against its JSON.
    expect(
      roundBootstrapRatio(
        [
          [100, 100],
          [100, 100],
          [300, 300],
        ],
        [[100], [100], [100]],
      ),
    ).toEqual(noisy);
    const other = roundBootstrapRatio(
      [
        [100, 100],
        [100, 100],
        [300, 300],
      ],
      [[100], [100], [100]],
      { random: seededRandom(7), confidence: 0.5 },
    )!;
    expect(other.confidence).toBe(0.5);
    expect(other.low).toBeGreaterThanOrEqual(1);
    expect(other.high).toBeLessThanOrEqual(3);
  });

  it('gives no round interval without two rounds a side to draw from', () => {
    expect(roundBootstrapRatio([[100, 200]], [[100], [100]])).toBeNull();
    expect(roundBootstrapRatio([[100], [], [200]], [[100], []])).toBeNull();
    expect(roundBootstrapRatio([[100], [200]], [[0], [0]])).toBeNull();
  });

  it('draws uniform numbers in [0, 1) from a seed, the same sequence for the same seed', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const values = Array.from({ length: 1000 }, () => a());
    expect(values.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b()));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    expect(mean(values)).toBeGreaterThan(0.45);
    expect(mean(values)).toBeLessThan(0.55);
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
