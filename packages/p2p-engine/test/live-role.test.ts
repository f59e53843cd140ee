import { electedFetchers } from '@coral-cdn/protocol';
import { describe, expect, it } from 'vitest';
import { liveRoleOf, type LiveRoleInputs } from '../src/live-role.js';
import type { LiveRole } from '../src/segment-decision.js';

const swarmId = 'demo/240p';
const fetchers = ['a', 'b', 'c', 'd'];
const sequence = 7;
const [elected] = electedFetchers({ fetchers, perSegment: 1 }, swarmId, sequence);
const notElected = fetchers.find((id) => id !== elected)!;

const base: LiveRoleInputs = {
  live: true,
  swarmId,
  sequence,
  election: { type: 'election', swarmId, epoch: 1, fetchers, perSegment: 1 },
  localPeerId: elected!,
  hasPeers: true,
  connectedCount: 1,
  listedAtLoad: false,
};

type Row = [name: string, changes: Partial<LiveRoleInputs>, expected: LiveRole];

describe('live role', () => {
  it.each<Row>([
    ['a VOD playlist has no live role', { live: false }, 'vod'],
    ['no election known: alone', { election: null }, 'alone'],
    ['not joined yet: alone', { localPeerId: null }, 'alone'],
    ['no peer manager: alone', { hasPeers: false }, 'alone'],
    ['no peer connected: alone', { connectedCount: 0 }, 'alone'],
    [
      'an election with no candidates: every viewer fetches',
      { election: { ...base.election!, fetchers: [] } },
      'fetcher',
    ],
    ['listed before this viewer came: it waits for its peers', { listedAtLoad: true }, 'waiter'],
    ['elected for the sequence: fetcher', {}, 'fetcher'],
    ['not elected for the sequence: waiter', { localPeerId: notElected }, 'waiter'],
  ])('%s', (_name, changes, expected) => {
    expect(liveRoleOf({ ...base, ...changes })).toBe(expected);
  });
});
