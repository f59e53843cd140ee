import { describe, expect, it } from 'vitest';
import { rankPeers, RecentLoad, spareCapacityScore, toPeerInfo } from '../src/matching.js';
import { storedRoomId } from '../src/rooms.js';
import type { Candidate, MemberRecord } from '../src/types.js';

function candidate(
  peerId: string,
  held: number[],
  overrides: Partial<MemberRecord> = {},
): Candidate {
  return {
    record: {
      peerId,
      swarmId: storedRoomId('s/r'),
      nodeId: 'n',
      viewerId: peerId,
      region: 'eu',
      uploadKbps: 5000,
      connectionType: 'wifi',
      live: false,
      joinedAtMs: 0,
      ...overrides,
    },
    held,
  };
}

const request = {
  askerId: 'asker',
  askerRegion: 'eu',
  need: [1, 2, 3, 4],
  max: 10,
  exclude: new Set<string>(),
  recentLoad: () => 0,
  random: () => 0,
};

const ids = (chosen: Candidate[]) => chosen.map((c) => c.record.peerId);

describe('rankPeers', () => {
  it('never offers the asker itself or an excluded peer', () => {
    const chosen = rankPeers(
      [candidate('asker', [1]), candidate('bad', [1, 2]), candidate('ok', [])],
      { ...request, exclude: new Set(['bad']) },
    );
    expect(ids(chosen)).toEqual(['ok']);
  });

  it('puts the same region first, even over a better peer elsewhere', () => {
    const chosen = rankPeers(
      [candidate('far', [1, 2, 3, 4], { region: 'us' }), candidate('near', [])],
      request,
    );
    expect(ids(chosen)).toEqual(['near', 'far']);
  });

  it('ranks by overlap with the need, then spare capacity; cellular loses', () => {
    const chosen = rankPeers(
      [
        candidate('one', [1]),
        candidate('three', [1, 2, 3]),
        candidate('three-cell', [1, 2, 3], { connectionType: 'cellular' }),
        candidate('three-slow', [1, 2, 3], { uploadKbps: 50 }),
      ],
      request,
    );
    expect(ids(chosen)).toEqual(['three', 'three-cell', 'three-slow', 'one']);
  });

  it('spreads askers: a peer recently named often loses to an idle equal one', () => {
    const chosen = rankPeers([candidate('busy', [1]), candidate('idle', [1])], {
      ...request,
      recentLoad: (peerId) => (peerId === 'busy' ? 5 : 0),
    });
    expect(ids(chosen)).toEqual(['idle', 'busy']);
  });

  it('answers at most `max` peers, and scores no overlap when nothing is needed', () => {
    const many = Array.from({ length: 5 }, (_, i) => candidate(`p${i}`, []));
    expect(rankPeers(many, { ...request, max: 2 })).toHaveLength(2);
    const chosen = rankPeers([candidate('slow', [], { uploadKbps: 10 }), candidate('fast', [])], {
      ...request,
      need: [],
    });
    expect(ids(chosen)).toEqual(['fast', 'slow']);
  });
});

describe('spareCapacityScore', () => {
  it('grows with upload, shrinks with load, saturates at 1', () => {
    expect(spareCapacityScore(0, 0)).toBe(0);
    expect(spareCapacityScore(20_000, 0)).toBe(1);
    expect(spareCapacityScore(1_000_000, 0)).toBe(1);
    expect(spareCapacityScore(1000, 1)).toBeLessThan(spareCapacityScore(1000, 0));
    expect(spareCapacityScore(2000, 1)).toBeCloseTo(spareCapacityScore(1000, 0), 10);
  });
});

describe('toPeerInfo', () => {
  it('lists held and recent sequences once, ascending', () => {
    const info = toPeerInfo(candidate('p', [3, 1], { region: 'us', uploadKbps: 7 }), [5, 3, 2]);
    expect(info).toEqual({
      peerId: 'p',
      region: 'us',
      uploadKbps: 7,
      connectionType: 'wifi',
      have: [1, 2, 3, 5],
    });
  });
});

describe('RecentLoad', () => {
  it('decays by half per half-life and forgets entries after eight', () => {
    const load = new RecentLoad(1000);
    load.add('p', 0);
    load.add('p', 0);
    expect(load.get('p', 0)).toBe(2);
    expect(load.get('p', 1000)).toBe(1);
    expect(load.get('q', 0)).toBe(0);
    load.sweep(8000);
    expect(load.size).toBe(1);
    load.sweep(8001);
    expect(load.size).toBe(0);
  });
});

describe('rankPeers weights', () => {
  it('overlap is a share of the need: one of four held does not beat a far better uplink', () => {
    const chosen = rankPeers(
      [
        candidate('holds-one', [1], { uploadKbps: 10 }),
        candidate('fast', [], { uploadKbps: 20_000 }),
      ],
      request,
    );
    expect(ids(chosen)).toEqual(['fast', 'holds-one']);
  });

  it('cellular loses to an equal peer whatever the input order', () => {
    const chosen = rankPeers(
      [candidate('cell', [1], { connectionType: 'cellular' }), candidate('wifi', [1])],
      request,
    );
    expect(ids(chosen)).toEqual(['wifi', 'cell']);
  });

  it('the random term only breaks ties: it adds a little, never more than a real difference', () => {
    const noise = new Map([
      ['lucky', 0.9],
      ['plain', 0],
      ['better', 0],
    ]);
    const chosen = rankPeers(
      [candidate('plain', [1]), candidate('lucky', [1]), candidate('better', [1, 2])],
      {
        ...request,
        random: (() => {
          const order = ['plain', 'lucky', 'better'];
          let i = 0;
          return () => noise.get(order[i++ % order.length]!)!;
        })(),
      },
    );
    expect(ids(chosen)).toEqual(['better', 'lucky', 'plain']);
  });
});

describe('RecentLoad at any clock', () => {
  it('decays from the time of the entry, not from zero', () => {
    const load = new RecentLoad(1000);
    load.add('p', 50_000);
    expect(load.get('p', 50_000)).toBe(1);
    expect(load.get('p', 51_000)).toBeCloseTo(0.5);
    load.sweep(57_000);
    expect(load.size).toBe(1);
    load.sweep(58_001);
    expect(load.size).toBe(0);
  });
});
