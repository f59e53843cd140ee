import { describe, expect, it } from 'vitest';
import { ReportLimiter } from '../src/report-limiter.js';

const limits = { perViewer: 2, perAddress: 3, perGroup: 4, windowMs: 1000 };
const keys = (viewer: string, address = '1.2.3.4', group = 'v4:1.2.3') => ({
  viewer,
  address,
  group,
});

describe('ReportLimiter', () => {
  it('limits a viewer, an address and a group, each in its window', () => {
    const limiter = new ReportLimiter(limits);
    expect(limiter.take(keys('a'), 0)).toBe(true);
    expect(limiter.take(keys('a'), 0)).toBe(true);
    expect(limiter.take(keys('a'), 0)).toBe(false);
    // Another token from the same address: the address has one left.
    expect(limiter.take(keys('b'), 0)).toBe(true);
    expect(limiter.take(keys('c'), 0)).toBe(false);
    // Another address of the block: the block has one left.
    expect(limiter.take(keys('d', '1.2.3.5'), 0)).toBe(true);
    expect(limiter.take(keys('e', '1.2.3.6'), 0)).toBe(false);
    // Elsewhere: unaffected.
    expect(limiter.take(keys('f', '9.9.9.9', 'v4:9.9.9'), 0)).toBe(true);
  });

  it('counts a refused report against nothing, and forgets the window once past', () => {
    const limiter = new ReportLimiter(limits);
    limiter.take(keys('a'), 0);
    limiter.take(keys('a'), 500);
    expect(limiter.take(keys('a'), 999)).toBe(false);
    expect(limiter.take(keys('a'), 1000)).toBe(true);
    expect(limiter.take(keys('a'), 1001)).toBe(false);
    expect(limiter.size).toBe(3);
    limiter.sweep(1999);
    expect(limiter.size).toBe(3);
    limiter.sweep(2000);
    expect(limiter.size).toBe(0);
  });
});
