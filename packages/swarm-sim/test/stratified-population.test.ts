import { describe, expect, it } from 'vitest';
import { cohortRunSpec, scenarioSpec } from '../src/index.js';
import { seededRandom } from '../src/random.js';
import {
  apportion,
  normalQuantile,
  shuffle,
  stratifiedLogNormal,
  stratifiedProfiles,
} from '../src/stratified-population.js';

const count = <T>(list: readonly T[], value: T) => list.filter((v) => v === value).length;

describe('apportion (each category exactly its share, largest remainders)', () => {
  it('gives every label its share of the count, summing to the count', () => {
    const labels = apportion({ a: 0.5, b: 0.35, c: 0.15 }, 250);
    expect(labels).toHaveLength(250);
    expect(count(labels, 'a')).toBe(125);
    // 87.5 and 37.5: the tie goes to the first.
    expect(count(labels, 'b')).toBe(88);
    expect(count(labels, 'c')).toBe(37);
  });

  it('hands the leftover to the largest remainders, and skips zero shares', () => {
    const labels = apportion({ open: 0.1, cone: 0.62, symmetric: 0.22, blocked: 0.06, x: 0 }, 7);
    expect(labels).toHaveLength(7);
    // Exact: 0.7, 4.34, 1.54, 0.42: floors 0, 4, 1, 0; remainders .7, .54, .42 take the three.
    expect(count(labels, 'open')).toBe(1);
    expect(count(labels, 'cone')).toBe(4);
    expect(count(labels, 'symmetric')).toBe(2);
    expect(count(labels, 'blocked')).toBe(0);
    expect(count(labels, 'x')).toBe(0);
  });
});

describe('stratified draws', () => {
  it('shuffle keeps every element', () => {
    const list = shuffle(seededRandom(1), [1, 2, 3, 4, 5, 6]);
    expect([...list].sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('normalQuantile is the standard normal quantile', () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326348, 5);
    expect(normalQuantile(0.3)).toBeCloseTo(-normalQuantile(0.7), 9);
  });

  it('a stratified log-normal puts one draw in each of its quantile strata', () => {
    const values = stratifiedLogNormal(seededRandom(2), 10, 0.5, 4).sort((a, b) => a - b);
    const edges = [0, 0.25, 0.5, 0.75, 1].map((p) => 10 * Math.exp(0.5 * normalQuantile(p)));
    values.forEach((v, i) => {
      expect(v).toBeGreaterThanOrEqual(edges[i]!);
      expect(v).toBeLessThanOrEqual(edges[i + 1]!);
    });
  });

  it('a cohort has exactly the population’s NAT and rendition shares', () => {
    const spec = scenarioSpec('live-flash-crowd', { viewers: 10_000 });
    const profiles = stratifiedProfiles(seededRandom(3), spec.population, 250);
    const nats = profiles.map((p) => p.nat);
    expect(count(nats, 'open')).toBe(25);
    expect(count(nats, 'udp-blocked')).toBe(15);
    const renditions = profiles.map((p) => p.rendition);
    expect(count(renditions, '720p')).toBe(125);
    const cellular = profiles.filter((p) => p.connectionType === 'cellular');
    // Ethernet 137.5, Wi-Fi 50, cellular 62.5: the tie goes to the first class.
    expect(cellular).toHaveLength(62);
  });
});

describe('cohort specs', () => {
  it('a stratified cohort carries its viewers, one block per audience turnover', () => {
    const flash = scenarioSpec('live-flash-crowd', { viewers: 10_000, durationSec: 600 });
    expect(cohortRunSpec(flash, 200, 0).homes).toHaveLength(200);
    expect(cohortRunSpec(flash, 200, 0, false).homes).toBeUndefined();
    const churn = scenarioSpec('live-churn', { viewers: 10_000, durationSec: 600 });
    // Sessions of 180 s over 600 s: 4 turnovers, plus 2 blocks of margin.
    expect(cohortRunSpec(churn, 200, 0).homes).toHaveLength(6 * 200);
  });
});
