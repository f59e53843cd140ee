import { electedFetchers } from '@coral-cdn/protocol';
import { describe, expect, it } from 'vitest';
import {
  liveRoleOf,
  reachableFetcher,
  type FetcherInputs,
  type LiveRoleInputs,
} from '../src/live-role.js';
import type { LiveRole } from '../src/segment-decision.js';

const swarmId = 'demo/240p';
const fetchers = ['a', 'b', 'c', 'd'];
const sequence = 7;
/** The candidates in the election's order for the sequence: r0 is elected (one per segment). */
const [r0, r1, r2, r3] = electedFetchers({ fetchers, perSegment: 4 }, swarmId, sequence) as [
  string,
  string,
  string,
  string,
];
const election = { type: 'election' as const, swarmId, epoch: 1, fetchers, perSegment: 1 };

const base: LiveRoleInputs = {
  live: true,
  swarmId,
  sequence,
  election,
  localPeerId: r0,
  hasPeers: true,
  connectedPeerIds: [r1],
  partPlayerIds: null,
  listedAtLoad: false,
};

type Row = [name: string, changes: Partial<LiveRoleInputs>, expected: LiveRole];

/** Two viewers as ranked between themselves for the sequence: pairHigh first. */
const [pairHigh, pairLow] = electedFetchers(
  { fetchers: [r0, r1], perSegment: 2 },
  swarmId,
  sequence,
) as [string, string];

describe('live role', () => {
  it.each<Row>([
    ['a VOD playlist has no live role', { live: false }, 'vod'],
    ['no election known: alone', { election: null }, 'alone'],
    ['not joined yet: alone', { localPeerId: null }, 'alone'],
    ['no peer manager: alone', { hasPeers: false }, 'alone'],
    ['no peer connected: alone', { connectedPeerIds: [] }, 'alone'],
    [
      'an election with no candidates: every viewer fetches',
      { election: { ...election, fetchers: [] } },
      'fetcher',
    ],
    [
      'an election with no candidates: it fetches even when a connected peer ranks above it',
      {
        election: { ...election, fetchers: [] },
        localPeerId: pairLow,
        connectedPeerIds: [pairHigh],
      },
      'fetcher',
    ],
    ['listed before this viewer came: it waits for its peers', { listedAtLoad: true }, 'waiter'],
    ['elected for the sequence: fetcher', {}, 'fetcher'],
    [
      'not elected, connected to the elected fetcher: waiter',
      { localPeerId: r1, connectedPeerIds: [r0] },
      'waiter',
    ],
    [
      'not connected to the elected fetcher, and first among the candidates it reaches: fetcher',
      { localPeerId: r1, connectedPeerIds: [r3] },
      'fetcher',
    ],
    [
      'not connected to the elected fetcher, a higher candidate connected: waiter',
      { localPeerId: r2, connectedPeerIds: [r1] },
      'waiter',
    ],
    [
      'parts: the elected fetcher does not play parts, this viewer ranks next among players: fetcher',
      { localPeerId: r1, connectedPeerIds: [r0, r2], partPlayerIds: [r2] },
      'fetcher',
    ],
    [
      'parts: a higher-ranked peer plays parts: waiter',
      { localPeerId: r2, connectedPeerIds: [r0, r1], partPlayerIds: [r1] },
      'waiter',
    ],
    [
      'parts: the elected fetcher plays parts: waiter',
      { localPeerId: r1, connectedPeerIds: [r0], partPlayerIds: [r0] },
      'waiter',
    ],
    [
      'parts: elected itself: fetcher, whoever plays parts',
      { connectedPeerIds: [r1], partPlayerIds: [] },
      'fetcher',
    ],
    [
      'parts: connected, though to no part player: not alone, it ranks itself',
      { localPeerId: r3, connectedPeerIds: [r0], partPlayerIds: [] },
      'fetcher',
    ],
  ])('%s', (_name, changes, expected) => {
    expect(liveRoleOf({ ...base, ...changes })).toBe(expected);
  });
});

type FetcherRow = [rule: string, changes: Partial<FetcherInputs>, fetcher: string];

describe('the fetcher a viewer counts on', () => {
  const inputs: FetcherInputs = {
    election,
    swarmId,
    sequence,
    localPeerId: r3,
    connectedPeerIds: [r0, r1],
  };
  // Viewers that are no candidates, ranked for the sequence: o0 first.
  const [o0, o1, o2] = electedFetchers(
    { fetchers: ['x', 'y', 'z'], perSegment: 3 },
    swarmId,
    sequence,
  ) as [string, string, string];
  // One that ranks above every candidate, were it one.
  const outsider = Array.from({ length: 100 }, (_, i) => `o${i}`).find(
    (id) =>
      electedFetchers({ fetchers: [...fetchers, id], perSegment: 1 }, swarmId, sequence)[0] === id,
  )!;
  it.each<FetcherRow>([
    ['an elected fetcher it is connected to', {}, r0],
    ['itself when elected, whoever it reaches', { localPeerId: r0, connectedPeerIds: [r1] }, r0],
    [
      'itself when elected second, though connected to the first',
      { election: { ...election, perSegment: 2 }, localPeerId: r1, connectedPeerIds: [r0] },
      r1,
    ],
    [
      'an elected fetcher it reaches, before a higher ranked elected one it does not',
      { election: { ...election, perSegment: 2 }, connectedPeerIds: [r1, r2] },
      r1,
    ],
    [
      'no elected fetcher reachable: the next candidate in the ranking it is connected to',
      { connectedPeerIds: [r2, r1] },
      r1,
    ],
    [
      'no elected fetcher reachable: itself when it ranks before every candidate it reaches',
      { localPeerId: r1, connectedPeerIds: [r2, r3] },
      r1,
    ],
    [
      'a reachable candidate before a connected viewer that is none',
      { connectedPeerIds: [outsider, r2] },
      r2,
    ],
    [
      'no candidate reachable: the same ranking over itself and its connected peers',
      { localPeerId: o1, connectedPeerIds: [o0, o2] },
      o0,
    ],
  ])('%s', (_rule, changes, fetcher) => {
    expect(reachableFetcher({ ...inputs, ...changes })).toBe(fetcher);
  });

  it('viewers that reach each other but no elected fetcher agree on one of them', () => {
    const group = [r1, r2, r3];
    const picks = group.map((localPeerId) =>
      reachableFetcher({
        ...inputs,
        localPeerId,
        connectedPeerIds: group.filter((id) => id !== localPeerId),
      }),
    );
    expect(new Set(picks)).toEqual(new Set([r1]));
  });
});
