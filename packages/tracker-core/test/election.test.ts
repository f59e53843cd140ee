import { describe, expect, it } from 'vitest';
import { chooseFetchers, type ElectionPolicy } from '../src/election.js';
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
