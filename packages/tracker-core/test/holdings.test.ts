import { describe, expect, it } from 'vitest';
import { Holdings, subtract, toRanges, union } from '../src/holdings.js';

/** A small deterministic generator (mulberry32), so a failing case can be replayed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('range lists', () => {
  it.each([
    { sequences: [], ranges: [] },
    { sequences: [5], ranges: [5, 5] },
    { sequences: [3, 1, 2, 2], ranges: [1, 3] },
    { sequences: [1, 3], ranges: [1, 1, 3, 3] },
    { sequences: [9, 7, 8, 1, 0], ranges: [0, 1, 7, 9] },
  ])('toRanges($sequences) = $ranges', ({ sequences, ranges }) => {
    expect(toRanges(sequences)).toEqual(ranges);
  });

  it.each([
    { a: [], b: [1, 2], out: [1, 2] },
    { a: [1, 2], b: [], out: [1, 2] },
    { a: [1, 2], b: [3, 4], out: [1, 4] },
    { a: [1, 2], b: [4, 5], out: [1, 2, 4, 5] },
    { a: [4, 5], b: [1, 2], out: [1, 2, 4, 5] },
    { a: [1, 10], b: [3, 4], out: [1, 10] },
    { a: [1, 3, 7, 9], b: [2, 8], out: [1, 9] },
  ])('union($a, $b) = $out', ({ a, b, out }) => {
    expect(union(a, b)).toEqual(out);
  });

  it.each([
    { a: [1, 10], b: [], out: [1, 10] },
    { a: [1, 10], b: [1, 10], out: [] },
    { a: [1, 10], b: [0, 0, 11, 11], out: [1, 10] },
    { a: [1, 10], b: [1, 1], out: [2, 10] },
    { a: [1, 10], b: [10, 10], out: [1, 9] },
    { a: [1, 10], b: [3, 4, 6, 6], out: [1, 2, 5, 5, 7, 10] },
    { a: [1, 3, 5, 7], b: [2, 6], out: [1, 1, 7, 7] },
  ])('subtract($a, $b) = $out', ({ a, b, out }) => {
    expect(subtract(a, b)).toEqual(out);
  });
});

describe('Holdings', () => {
  it('keeps a run as one range and answers membership at the edges', () => {
    const holdings = new Holdings();
    holdings.addAll(Array.from({ length: 1000 }, (_, i) => 5000 + i));
    expect(holdings.size).toBe(1000);
    expect(holdings.rangeCount).toBe(1);
    expect([4999, 5000, 5999, 6000].map((s) => holdings.has(s))).toEqual([
      false,
      true,
      true,
      false,
    ]);
    holdings.deleteAll([5500]);
    expect(holdings.ranges()).toEqual([
      [5000, 5499],
      [5501, 5999],
    ]);
    expect(holdings.has(5500)).toBe(false);
    expect(new Holdings().has(0)).toBe(false);
  });

  it('forgets the lowest sequences past the cap, within and across ranges', () => {
    const holdings = new Holdings();
    holdings.addAll([1, 2, 3, 10, 11, 20]);
    holdings.trimTo(6);
    expect(holdings.size).toBe(6);
    holdings.trimTo(4);
    expect(holdings.values()).toEqual([3, 10, 11, 20]);
    holdings.trimTo(3);
    expect(holdings.ranges()).toEqual([
      [10, 11],
      [20, 20],
    ]);
    holdings.trimTo(-1);
    expect(holdings.size).toBe(0);
    holdings.deleteAll([1]);
    expect(holdings.values()).toEqual([]);
  });

  it('behaves like a set of numbers under random adds, deletes and trims', () => {
    const random = prng(19);
    for (let round = 0; round < 200; round++) {
      const holdings = new Holdings();
      const reference = new Set<number>();
      for (let step = 0; step < 20; step++) {
        const batch = Array.from({ length: Math.floor(random() * 12) }, () =>
          Math.floor(random() * 64),
        );
        const action = random();
        if (action < 0.5) {
          holdings.addAll(batch);
          for (const s of batch) reference.add(s);
        } else if (action < 0.9) {
          holdings.deleteAll(batch);
          for (const s of batch) reference.delete(s);
        } else {
          const max = Math.floor(random() * 40);
          holdings.trimTo(max);
          const keep = [...reference].sort((a, b) => a - b).slice(-max || reference.size);
          if (max === 0) keep.length = 0;
          reference.clear();
          for (const s of keep) reference.add(s);
        }
        const expected = [...reference].sort((a, b) => a - b);
        expect(holdings.values()).toEqual(expected);
        expect(holdings.size).toBe(expected.length);
        for (let s = 0; s < 64; s++) expect(holdings.has(s)).toBe(reference.has(s));
        const ranges = holdings.ranges();
        for (let i = 1; i < ranges.length; i++) {
          expect(ranges[i]![0]).toBeGreaterThan(ranges[i - 1]![1] + 1);
        }
      }
    }
  });

  it('holds every other sequence of a cap in two numbers per sequence at most', () => {
    const holdings = new Holdings();
    holdings.addAll(Array.from({ length: 1024 }, (_, i) => i * 2));
    expect(holdings.rangeCount).toBe(1024);
    holdings.addAll([4_294_967_295]);
    expect(holdings.has(4_294_967_295)).toBe(true);
  });
});

describe('Holdings.addRanges', () => {
  it('adds ranges in any order, inverted or overlapping ones too', () => {
    const holdings = new Holdings();
    holdings.addRanges([
      [10, 12],
      [3, 1],
      [11, 15],
      [17, 17],
    ]);
    expect(holdings.ranges()).toEqual([
      [1, 3],
      [10, 15],
      [17, 17],
    ]);
    holdings.addRanges([]);
    expect(holdings.size).toBe(10);
  });
});
