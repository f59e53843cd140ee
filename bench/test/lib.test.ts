import { describe, expect, it } from 'vitest';
import {
  formatTable,
  mean,
  median,
  percentile,
  ratio,
  invocationBootstrapRatio,
  seededRandom,
  type BootstrapOptions,
} from '../src/lib/stats.js';
import { lineChartSvg } from '../src/lib/svg.js';

/** One invocation's rounds: the round-level bootstrap. */
const roundBootstrapRatio = (
  candidate: number[][],
  baseline: number[][],
  options?: BootstrapOptions,
) => invocationBootstrapRatio([{ candidate, baseline }], options);

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
    expect(steady).toEqual({ low: 2, high: 2, confidence: 0.9, resamples: 2000, invocations: 1 });
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

  it('draws invocations too when pooling several: their disagreement widens the interval', () => {
    // Two invocations, each steady within itself: the first measured P2P/CDN-only 1.0, the
    // second 2.0 (the machine was busier then, on the P2P side).
    const calm = {
      candidate: [
        [100, 100],
        [100, 100],
      ],
      baseline: [
        [100, 100],
        [100, 100],
      ],
    };
    const busy = {
      candidate: [
        [200, 200],
        [200, 200],
      ],
      baseline: [
        [100, 100],
        [100, 100],
      ],
    };
    const pooled = invocationBootstrapRatio([calm, busy])!;
    expect(pooled.invocations).toBe(2);
    // A resample may draw either invocation twice: the interval spans both readings.
    expect(pooled.low).toBe(1);
    expect(pooled.high).toBe(2);
    // An invocation's two sides are drawn together: a machine that was slower for both
    // sides in one invocation moves neither ratio, where pooling the rounds as one
    // invocation would pit its slow rounds against the other's fast ones.
    const fast = { candidate: [[100], [100]], baseline: [[100], [100]] };
    const slow = { candidate: [[200], [200]], baseline: [[200], [200]] };
    expect(invocationBootstrapRatio([fast, slow])).toMatchObject({ low: 1, high: 1 });
    const asOne = invocationBootstrapRatio([
      {
        candidate: [...fast.candidate, ...slow.candidate],
        baseline: [...fast.baseline, ...slow.baseline],
      },
    ])!;
    expect(asOne.invocations).toBe(1);
    expect(asOne.low).toBeLessThan(1);
    expect(asOne.high).toBeGreaterThan(1);
    // One round a side per invocation is enough once there are invocations to draw.
    expect(invocationBootstrapRatio([{ candidate: [[120]], baseline: [[100]] }])).toBeNull();
    const single = invocationBootstrapRatio([
      { candidate: [[120]], baseline: [[100]] },
      { candidate: [[150]], baseline: [[100]] },
    ])!;
    expect(single).toMatchObject({ low: 1.2, high: 1.5, invocations: 2 });
    // An invocation without values on a side does not count.
    expect(
      invocationBootstrapRatio([calm, { candidate: [[500]], baseline: [] }])!.invocations,
    ).toBe(1);
    expect(invocationBootstrapRatio([])).toBeNull();
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
