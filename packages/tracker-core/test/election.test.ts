import { describe, expect, it } from 'vitest';
import {
  ableToServe,
  bestUploadKbps,
  chooseFetchers,
  groupOf,
  isVerified,
  sameElection,
  seatsPerGroup,
  servedGroupsRequired,
  type ElectionPolicy,
} from '../src/election.js';
import { storedRoomId } from '../src/rooms.js';
import type { MemberRecord } from '../src/types.js';

function member(peerId: string, overrides: Partial<MemberRecord> = {}): MemberRecord {
  return {
    peerId,
    swarmId: storedRoomId('s/r'),
    nodeId: 'n',
    viewerId: peerId,
    region: 'eu',
    uploadKbps: 1000,
    connectionType: 'wifi',
    live: true,
    joinedAtMs: 0,
    ...overrides,
  };
}

const policy: ElectionPolicy = { candidates: 3, perSegment: 1, minAgeMs: 1000, minUploadKbps: 1 };

describe('chooseFetchers', () => {
  it('picks the best uplinks among members present long enough, capped at the candidate count', () => {
    const members = [
      member('slow', { uploadKbps: 100 }),
      member('fast', { uploadKbps: 9000 }),
      member('cell', { uploadKbps: 50_000, connectionType: 'cellular' }),
      member('mid', { uploadKbps: 4000 }),
      member('newcomer', { uploadKbps: 99_000, joinedAtMs: 5000 }),
      member('none', { uploadKbps: 0 }),
    ];
    const outcome = chooseFetchers(members, [], policy, 5500);
    expect(outcome.fetchers).toEqual(['fast', 'mid', 'slow']);
    expect(outcome.perSegment).toBe(1);
  });

  it('keeps sitting fetchers (stable) and fills vacancies', () => {
    const members = [
      member('a', { uploadKbps: 10 }),
      member('b', { uploadKbps: 20 }),
      member('c', { uploadKbps: 9000 }),
      member('d', { uploadKbps: 8000 }),
    ];
    const outcome = chooseFetchers(members, ['a', 'gone'], policy, 2000);
    expect(outcome.fetchers).toEqual(['a', 'c', 'd']);
  });

  it('uses young members only to reach perSegment, and says when to look again', () => {
    const outcome = chooseFetchers(
      [member('young', { joinedAtMs: 900 }), member('younger', { joinedAtMs: 950 })],
      [],
      policy,
      1000,
    );
    expect(outcome.fetchers).toEqual(['young']);
    expect(outcome.recheckAtMs).toBe(1950);
    expect(chooseFetchers([member('v', { live: false })], [], policy, 5000).fetchers).toEqual([]);
  });
});

describe('seat rules one client cannot get around', () => {
  const wide: ElectionPolicy = { candidates: 8, perSegment: 1, minAgeMs: 0, minUploadKbps: 1 };

  it.each([
    { groups: [], candidates: 8, seats: 0 },
    { groups: ['a'], candidates: 8, seats: 8 },
    { groups: ['a', 'a', 'b'], candidates: 8, seats: 4 },
    { groups: ['a', 'b', 'c'], candidates: 8, seats: 3 },
    { groups: ['a', 'b', 'c', 'd'], candidates: 8, seats: 2 },
    { groups: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'], candidates: 8, seats: 1 },
  ])(
    'seatsPerGroup: $groups.length members of groups $groups share $candidates seats as $seats each',
    ({ groups, candidates, seats }) => {
      const members = groups.map((group, i) => member(`p${i}`, { addressGroup: group }));
      expect(seatsPerGroup(members, candidates)).toBe(seats);
    },
  );

  it('a member without an address group is a group of its own', () => {
    expect(groupOf(member('x'))).toBe('peer:x');
    expect(groupOf(member('x', { addressGroup: 'v4:10.0.0' }))).toBe('v4:10.0.0');
  });

  it('one viewer holds one seat however many connections it opens', () => {
    const members = [
      ...Array.from({ length: 6 }, (_, i) =>
        member(`sock${i}`, { viewerId: 'mallory', uploadKbps: 90_000 + i }),
      ),
      member('alice', { uploadKbps: 100 }),
      member('bob', { uploadKbps: 200 }),
    ];
    const outcome = chooseFetchers(members, [], wide, 10);
    expect(outcome.fetchers).toEqual(['alice', 'bob', 'sock5']);
  });

  it('a sitting fetcher loses the seat its viewer already holds through another connection', () => {
    const members = [
      member('a1', { viewerId: 'v' }),
      member('a2', { viewerId: 'v' }),
      member('b', { viewerId: 'w' }),
    ];
    expect(chooseFetchers(members, ['a1', 'a2'], wide, 10).fetchers).toEqual(['a1', 'b']);
  });

  it('tokens from one address block get the block share of the seats, not all of them', () => {
    const attacker = Array.from({ length: 20 }, (_, i) =>
      member(`evil${String(i).padStart(2, '0')}`, {
        addressGroup: 'v4:198.51.100',
        uploadKbps: 100_000 - i,
      }),
    );
    const honest = ['v4:10.0.1', 'v4:10.0.2', 'v4:10.0.3'].map((group, i) =>
      member(`honest${i}`, { addressGroup: group, uploadKbps: 500 }),
    );
    const outcome = chooseFetchers([...attacker, ...honest], [], wide, 10);
    expect(outcome.fetchers).toEqual(['evil00', 'evil01', 'honest0', 'honest1', 'honest2']);
    // Already seated, the block loses its extra seats as soon as the others are there.
    const sitting = attacker.slice(0, 8).map((m) => m.peerId);
    expect(chooseFetchers([...attacker, ...honest], sitting, wide, 10).fetchers).toEqual([
      'evil00',
      'evil01',
      'honest0',
      'honest1',
      'honest2',
    ]);
  });

  it('a swarm behind one network still fills every seat', () => {
    const members = Array.from({ length: 10 }, (_, i) =>
      member(`p${i}`, { addressGroup: 'v4:10.1.1', uploadKbps: 1000 + i }),
    );
    expect(chooseFetchers(members, [], wide, 10).fetchers).toHaveLength(8);
  });
});

describe('verified upload', () => {
  const verified: ElectionPolicy = {
    candidates: 4,
    perSegment: 1,
    minAgeMs: 1000,
    minUploadKbps: 1,
    minServedGroups: 2,
  };

  it.each([
    { servedGroups: undefined, required: 0, expected: true },
    { servedGroups: undefined, required: 1, expected: false },
    { servedGroups: 1, required: 2, expected: false },
    { servedGroups: 2, required: 2, expected: true },
    { servedGroups: 3, required: 2, expected: true },
  ])(
    'served $servedGroups groups, $required required: verified $expected',
    ({ servedGroups, required, expected }) => {
      expect(isVerified(member('m', { servedGroups }), required)).toBe(expected);
    },
  );

  it.each([
    { groups: [], minServedGroups: 2, required: 0 },
    { groups: ['a', 'a'], minServedGroups: 2, required: 0 },
    { groups: ['a', 'b'], minServedGroups: 2, required: 1 },
    { groups: ['a', 'b', 'c'], minServedGroups: 2, required: 2 },
    { groups: ['a', 'b', 'c', 'd'], minServedGroups: 2, required: 2 },
    { groups: ['a', 'b', 'c'], minServedGroups: undefined, required: 0 },
  ])(
    'groups $groups, policy $minServedGroups: $required other groups required',
    ({ groups, minServedGroups, required }) => {
      const members = groups.map((group, i) => member(`p${i}`, { addressGroup: group }));
      expect(servedGroupsRequired(members, { ...verified, minServedGroups })).toBe(required);
    },
  );

  it('a swarm behind one network elects on claimed upload: nobody there can verify anyone', () => {
    const members = ['a', 'b', 'c'].map((id, i) =>
      member(id, { addressGroup: 'v4:10.0.0', uploadKbps: 100 * (i + 1) }),
    );
    expect(chooseFetchers(members, [], verified, 5000).fetchers).toEqual(['a', 'b', 'c']);
  });

  it('claimed upload alone fills only perSegment seats; verified members fill the rest', () => {
    const members = [
      member('claims', { uploadKbps: 99_000, servedGroups: 0 }),
      member('served', { uploadKbps: 500, servedGroups: 2 }),
      member('served2', { uploadKbps: 400, servedGroups: 5 }),
      member('young', { uploadKbps: 900, servedGroups: 9, joinedAtMs: 4500 }),
    ];
    expect(chooseFetchers(members, [], verified, 5000).fetchers).toEqual(['served', 'served2']);
  });

  it('with nobody verified, the best mature member is the lone fetcher before a young one', () => {
    const members = [
      member('young', { uploadKbps: 90_000, joinedAtMs: 4900 }),
      member('mature', { uploadKbps: 10 }),
      member('mature2', { uploadKbps: 5 }),
    ];
    const outcome = chooseFetchers(members, [], verified, 5000);
    expect(outcome.fetchers).toEqual(['mature']);
    expect(outcome.recheckAtMs).toBe(5900);
  });
});

describe('chooseFetchers edges', () => {
  it('caps sitting fetchers at the candidate count and perSegment at the fetchers', () => {
    const two: ElectionPolicy = { candidates: 2, perSegment: 4, minAgeMs: 0, minUploadKbps: 1 };
    const members = ['a', 'b', 'c'].map((id) => member(id));
    const outcome = chooseFetchers(members, ['c', 'b', 'a'], two, 0);
    expect(outcome.fetchers).toEqual(['b', 'c']);
    expect(outcome.perSegment).toBe(2);
    expect(chooseFetchers([], [], two, 0)).toEqual({
      fetchers: [],
      perSegment: 1,
      recheckAtMs: null,
    });
  });

  describe('a preferred upload: slower members only while too few others have it', () => {
    const prefer: ElectionPolicy = { ...policy, perSegment: 2, preferredUploadKbps: 2000 };
    const slow = member('slow', { uploadKbps: 1999 });
    it('leaves a slower member out, sitting or not, once perSegment others have it', () => {
      const members = [slow, member('a', { uploadKbps: 2000 }), member('b', { uploadKbps: 3000 })];
      expect(chooseFetchers(members, [], prefer, 5000).fetchers).toEqual(['a', 'b']);
      expect(chooseFetchers(members, ['slow'], prefer, 5000).fetchers).toEqual(['a', 'b']);
    });
    it('takes slower members when fewer than perSegment others have it', () => {
      const members = [slow, member('a', { uploadKbps: 2000 })];
      expect(chooseFetchers(members, [], prefer, 5000).fetchers).toEqual(['a', 'slow']);
    });
    it('no preference when unset or 0', () => {
      const members = [slow, member('a', { uploadKbps: 2000 }), member('b', { uploadKbps: 3000 })];
      const both = { ...policy, perSegment: 2 };
      expect(chooseFetchers(members, [], both, 5000).fetchers).toEqual(['a', 'b', 'slow']);
      expect(
        chooseFetchers(members, [], { ...both, preferredUploadKbps: 0 }, 5000).fetchers,
      ).toEqual(['a', 'b', 'slow']);
    });
    it('ableToServe: the strong members, or all when too few', () => {
      const strong = member('a', { uploadKbps: 2000 });
      expect(ableToServe([slow, strong], { ...prefer, perSegment: 1 })).toEqual([strong]);
      expect(ableToServe([slow, strong], prefer)).toEqual([slow, strong]);
    });
  });

  describe('members known to be unreachable by peers: only while too few others', () => {
    const blocked = member('blocked', { uploadKbps: 30_000, unreachable: true });
    it('leaves an unreachable member out, sitting or not, however fast', () => {
      const members = [blocked, member('a', { uploadKbps: 1000 })];
      expect(chooseFetchers(members, [], policy, 5000).fetchers).toEqual(['a']);
      expect(chooseFetchers(members, ['blocked'], policy, 5000).fetchers).toEqual(['a']);
    });
    it('takes it when fewer than perSegment others remain', () => {
      const two = { ...policy, perSegment: 2 };
      const members = [blocked, member('a', { uploadKbps: 1000 })];
      expect(chooseFetchers(members, [], two, 5000).fetchers).toEqual(['a', 'blocked']);
      expect(chooseFetchers([blocked], [], policy, 5000).fetchers).toEqual(['blocked']);
    });
    it('reachability narrows first, then the preferred upload among the reachable', () => {
      const prefer = { ...policy, preferredUploadKbps: 2000 };
      const slow = member('slow', { uploadKbps: 500 });
      // The only member with the preferred upload is unreachable: the slow reachable one serves.
      expect(ableToServe([blocked, slow], prefer)).toEqual([slow]);
      expect(ableToServe([blocked, slow, member('b', { uploadKbps: 2000 })], prefer)).toEqual([
        member('b', { uploadKbps: 2000 }),
      ]);
      expect(ableToServe([member('c', { unreachable: false }), blocked], policy)).toEqual([
        member('c', { unreachable: false }),
      ]);
    });
  });

  it('drops members below the minimum upload, even sitting ones', () => {
    const strict = { ...policy, minUploadKbps: 500 };
    const members = [member('low', { uploadKbps: 499 }), member('ok', { uploadKbps: 500 })];
    expect(chooseFetchers(members, ['low'], strict, 5000).fetchers).toEqual(['ok']);
  });

  it('a member exactly minAgeMs old is mature', () => {
    const members = [member('a', { joinedAtMs: 4000 }), member('b', { joinedAtMs: 4001 })];
    const outcome = chooseFetchers(members, [], policy, 5000);
    expect(outcome.fetchers).toEqual(['a']);
    expect(outcome.recheckAtMs).toBe(5001);
  });

  it('no recheck once the list is full, the earliest maturity otherwise', () => {
    const full: ElectionPolicy = { ...policy, candidates: 1 };
    const members = [member('old'), member('young', { joinedAtMs: 4500 })];
    expect(chooseFetchers(members, [], full, 5000).recheckAtMs).toBeNull();
    const more = [
      member('old'),
      member('y1', { joinedAtMs: 4800 }),
      member('y2', { joinedAtMs: 4600 }),
      member('y3', { joinedAtMs: 4700 }),
    ];
    expect(chooseFetchers(more, [], policy, 5000).recheckAtMs).toBe(5600);
  });

  it('orders uplinks: non-cellular, then kbit/s, then seniority, then peer id', () => {
    const one: ElectionPolicy = { ...policy, candidates: 1 };
    const pick = (members: MemberRecord[]) => chooseFetchers(members, [], one, 5000).fetchers;
    expect(
      pick([member('cell', { connectionType: 'cellular', uploadKbps: 9e6 }), member('wire')]),
    ).toEqual(['wire']);
    expect(pick([member('slow', { uploadKbps: 10 }), member('fast', { uploadKbps: 11 })])).toEqual([
      'fast',
    ]);
    expect(pick([member('late', { joinedAtMs: 20 }), member('early', { joinedAtMs: 10 })])).toEqual(
      ['early'],
    );
    expect(pick([member('b'), member('a')])).toEqual(['a']);
    expect(pick([member('a'), member('b')])).toEqual(['a']);
  });
});

describe('sameElection', () => {
  const outcome = { fetchers: ['a', 'b'], perSegment: 1, recheckAtMs: null };
  it.each([
    { state: null, same: false },
    { state: { epoch: 3, fetchers: ['a', 'b'], perSegment: 1 }, same: true },
    { state: { epoch: 3, fetchers: ['a', 'b'], perSegment: 2 }, same: false },
    { state: { epoch: 3, fetchers: ['a'], perSegment: 1 }, same: false },
    { state: { epoch: 3, fetchers: ['a', 'c'], perSegment: 1 }, same: false },
  ])('$state → $same', ({ state, same }) => {
    expect(sameElection(state, outcome)).toBe(same);
  });
});

describe('sitting fetchers without verified upload', () => {
  const verifying: ElectionPolicy = {
    candidates: 4,
    perSegment: 1,
    minAgeMs: 0,
    minUploadKbps: 1,
    minServedGroups: 1,
  };

  it('keep the fill-in seat while nobody is verified, even against a better newcomer', () => {
    const members = [member('sits', { uploadKbps: 10 }), member('better', { uploadKbps: 9000 })];
    expect(chooseFetchers(members, ['sits'], verifying, 10).fetchers).toEqual(['sits']);
  });

  it('give way once verified members fill perSegment', () => {
    const members = [member('sits', { uploadKbps: 9000 }), member('shown', { servedGroups: 1 })];
    expect(chooseFetchers(members, ['sits'], verifying, 10).fetchers).toEqual(['shown']);
  });
});

describe('maturity and rechecks at the boundaries', () => {
  it('a member exactly minAgeMs old fills a vacancy beyond perSegment', () => {
    const members = [member('old', { uploadKbps: 10 }), member('exact', { joinedAtMs: 4000 })];
    const outcome = chooseFetchers(members, [], policy, 5000);
    expect(outcome.fetchers).toEqual(['exact', 'old']);
    expect(outcome.recheckAtMs).toBeNull();
  });

  it('a sitting fetcher that lost its seat is not waited for', () => {
    const verifying: ElectionPolicy = { ...policy, minServedGroups: 1 };
    const members = [member('young', { joinedAtMs: 4500 }), member('shown', { servedGroups: 1 })];
    const outcome = chooseFetchers(members, ['young'], verifying, 5000);
    expect(outcome.fetchers).toEqual(['shown']);
    expect(outcome.recheckAtMs).toBeNull();
  });
});

describe('upload share of the best', () => {
  const narrowing: ElectionPolicy = {
    candidates: 8,
    perSegment: 1,
    minAgeMs: 0,
    minUploadKbps: 1,
    preferredUploadKbps: 2_000,
    uploadShareOfBest: 0.34,
    bestUploadCapKbps: 20_000,
  };
  const elect = (members: MemberRecord[], policy = narrowing) =>
    chooseFetchers(members, [], policy, 1000).fetchers;

  it('leaves 3 Mbit/s homes out beside a 10 Mbit/s one (the internet lab’s homes)', () => {
    const homes = [
      member('one', { uploadKbps: 1_000 }),
      member('three-a', { uploadKbps: 3_000 }),
      member('three-b', { uploadKbps: 3_000 }),
      member('ten', { uploadKbps: 10_000 }),
    ];
    expect(elect(homes)).toEqual(['ten']);
    // Without the share, every home of the preferred 2 Mbit/s is a candidate.
    expect(elect(homes, { ...narrowing, uploadShareOfBest: 0 })).toEqual(
      ['ten', 'three-a', 'three-b'].sort(),
    );
  });

  it('counts the best only up to the cap: a fibre claim does not leave a 10 Mbit/s home out', () => {
    const members = [
      member('fibre', { uploadKbps: 900_000 }),
      member('ten', { uploadKbps: 10_000 }),
      member('five', { uploadKbps: 5_000 }),
    ];
    // 0.34 × 20,000 = 6,800 kbit/s.
    expect(elect(members)).toEqual(['fibre', 'ten']);
    expect(bestUploadKbps(members, narrowing)).toBe(20_000);
  });

  it('takes the best of the verified members: an unverified claim does not set the bar', () => {
    const members = [
      member('ten', { uploadKbps: 10_000, addressGroup: 'a', servedGroups: 1 }),
      member('five', { uploadKbps: 5_000, addressGroup: 'b', servedGroups: 1 }),
      member('claim', { uploadKbps: 20_000, addressGroup: 'c', servedGroups: 0 }),
    ];
    const verifying = { ...narrowing, minServedGroups: 1 };
    expect(bestUploadKbps(members, verifying)).toBe(10_000);
    // 0.34 × 10,000 = 3,400: both verified homes stay candidates.
    expect(elect(members, verifying)).toEqual(['five', 'ten']);
    // With no member verified, claims are all there is.
    const unverified = members.map((m) => ({ ...m, servedGroups: 0 }));
    expect(bestUploadKbps(unverified, verifying)).toBe(20_000);
  });

  it('keeps a member exactly at the bar', () => {
    const members = [member('ten', { uploadKbps: 10_000 }), member('five', { uploadKbps: 5_000 })];
    expect(elect(members, { ...narrowing, uploadShareOfBest: 0.5 })).toEqual(['five', 'ten']);
    expect(elect(members, { ...narrowing, uploadShareOfBest: 0.5001 })).toEqual(['ten']);
  });

  it('never leaves fewer than perSegment members to elect', () => {
    const members = [
      member('ten', { uploadKbps: 10_000 }),
      member('three', { uploadKbps: 3_000 }),
      member('two', { uploadKbps: 2_500 }),
    ];
    expect(ableToServe(members, { ...narrowing, perSegment: 2 }).map((m) => m.peerId)).toEqual([
      'ten',
      'three',
      'two',
    ]);
    expect(ableToServe(members, narrowing).map((m) => m.peerId)).toEqual(['ten']);
  });
});
