import { describe, expect, it } from 'vitest';
import { electedFetchers, hash32 } from '../src/election.js';

/**
 * Two peer ids whose weights collide for one segment (found by search: a 32-bit hash has such
 * pairs): the election must still rank them the same way on every peer, by id.
 */
const swarmId = 'demo/240p';
const sequence = 1;
const [low, high] = ['peer-51wu', 'peer-ktfa'];

describe('live fetch election ties', () => {
  it('the two ids really collide for this segment', () => {
    expect(hash32(`${low}|${swarmId}|${sequence}`)).toBe(hash32(`${high}|${swarmId}|${sequence}`));
  });

  it('ranks equal weights by id, whatever the candidate order', () => {
    expect(electedFetchers({ fetchers: [high, low], perSegment: 2 }, swarmId, sequence)).toEqual([
      low,
      high,
    ]);
    expect(electedFetchers({ fetchers: [low, high], perSegment: 2 }, swarmId, sequence)).toEqual([
      low,
      high,
    ]);
    expect(electedFetchers({ fetchers: [high, low], perSegment: 1 }, swarmId, sequence)).toEqual([
      low,
    ]);
  });
});
