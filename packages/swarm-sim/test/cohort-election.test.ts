import { describe, expect, it } from 'vitest';
import { cohortCandidateSeats, withStandIns } from '../src/cohort-election.js';
import { cohortRunSpec, scenarioSpec } from '../src/index.js';

describe('the election a cohort sees', () => {
  it('seats the audience’s proportion of candidates from the cohort', () => {
    expect(cohortCandidateSeats(8, 1)).toBe(8);
    expect(cohortCandidateSeats(8, 4)).toBe(2);
    expect(cohortCandidateSeats(8, 12)).toBe(1);
    // 10,000 from 150: the audience's 8 best uplinks are almost never in the cohort.
    expect(cohortCandidateSeats(8, 66.7)).toBe(0);
  });

  it('fills the candidate list with stand-ins nobody in the cohort can reach', () => {
    expect(withStandIns(['peer-a', 'peer-b'], 4)).toEqual([
      'peer-a',
      'peer-b',
      'outside-cohort-0',
      'outside-cohort-1',
    ]);
    expect(withStandIns([], 2)).toEqual(['outside-cohort-0', 'outside-cohort-1']);
    expect(withStandIns(['a', 'b', 'c'], 2)).toEqual(['a', 'b', 'c']);
  });

  it('a cohort run carries its weight for the tracker only when stand-ins are asked for', () => {
    const spec = scenarioSpec('live-flash-crowd', { viewers: 10_000 });
    expect(cohortRunSpec(spec, 250, 0, true, true).cohortWeight).toBe(40);
    expect(cohortRunSpec(spec, 250, 0, true, false).cohortWeight).toBeUndefined();
  });
});
