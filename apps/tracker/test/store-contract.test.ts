import { createLogger } from '@coral-cdn/server-kit';
import {
  startRedis,
  startRedisCluster,
  waitFor,
  type RedisCluster,
  type RedisServer,
} from '@coral-cdn/test-support';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../src/store/memory-store.js';
import { RedisStore } from '../src/store/redis-store.js';
import type { RedisTarget } from '../src/store/redis-target.js';
import { parseClusterNodes } from '../src/store/redis-target.js';
import type { CandidateQuery, MemberRecord, SwarmStore } from '../src/store/types.js';
import { roomId } from '@coral-cdn/tracker-core';

const ROOM = roomId('stream/720p', 1);
const ROOM_240 = roomId('stream/240p', 1);
const OTHER_ROOM = roomId('other/720p', 1);

/**
 * One contract, three stores: everything the tracker relies on behaves the same in memory, in
 * one Redis (a real redis-server) and in a Redis Cluster (three real masters). In Redis every
 * write goes through one node's store and every read through another node's, so what one node
 * keeps only in its own copy is caught; in the cluster a script that touches keys of two hash
 * slots fails (CROSSSLOT), and so does the case using it.
 */

let redis: RedisServer;
let cluster: RedisCluster;
let prefixCounter = 0;
const stores: SwarmStore[] = [];

beforeAll(async () => {
  [redis, cluster] = await Promise.all([startRedis(), startRedisCluster()]);
});

afterAll(async () => {
  await Promise.all(stores.map((store) => store.destroy()));
  await Promise.all([redis?.stop(), cluster?.stop()]);
});

/**
 * A store as one node writes to it (`store`) and as another node reads it (`peer`). For Redis
 * they are two RedisStore instances on one Redis, so a write that never reaches Redis (kept
 * only in the writer's local copy) fails the read; the memory store is its own peer.
 */
interface Pair {
  readonly store: SwarmStore;
  readonly peer: SwarmStore;
}

async function redisStore(
  target: RedisTarget,
  nodeId: string,
  keyPrefix: string,
  now?: () => number,
) {
  const store = new RedisStore({
    target,
    nodeId,
    keyPrefix,
    maxHavePerPeer: 8,
    keepMs: 60_000,
    logger: createLogger({ service: 'test', level: 'silent' }),
    now,
  });
  stores.push(store);
  await store.start();
  await waitFor(`${nodeId} healthy`, () => store.status().healthy);
  return store;
}

const factories: Array<[string, (now?: () => number) => Promise<Pair>]> = [
  [
    'memory',
    async (now) => {
      const store = new MemoryStore({ maxHavePerPeer: 8, now });
      stores.push(store);
      return { store, peer: store };
    },
  ],
  ['redis', (now) => redisPair({ kind: 'single', url: redis.url }, now)],
  [
    'redis-cluster',
    (now) => redisPair({ kind: 'cluster', nodes: parseClusterNodes(cluster.nodes) }, now),
  ],
];

async function redisPair(target: RedisTarget, now?: () => number): Promise<Pair> {
  const keyPrefix = `contract${++prefixCounter}:`;
  const [store, peer] = await Promise.all([
    redisStore(target, 'contract-node', keyPrefix, now),
    redisStore(target, 'other-node', keyPrefix, now),
  ]);
  return { store, peer };
}

function record(peerId: string, overrides: Partial<MemberRecord> = {}): MemberRecord {
  return {
    peerId,
    swarmId: ROOM,
    nodeId: 'remote-node',
    viewerId: `viewer-${peerId}`,
    region: 'eu-west',
    uploadKbps: 1000,
    connectionType: 'wifi',
    live: true,
    joinedAtMs: 1000,
    ...overrides,
  };
}

const query = (need: number[], scanLimit = 100): CandidateQuery => ({
  need,
  scanLimit,
  holdersPerNeed: 4,
});

describe.each(factories)('%s store contract', (_kind, create) => {
  let store: SwarmStore;
  let peer: SwarmStore;

  beforeEach(async () => {
    ({ store, peer } = await create());
    expect(store.status().healthy).toBe(true);
    expect(peer.status().healthy).toBe(true);
  });

  it('adds, reads, lists and removes members', async () => {
    await store.join(record('peer-aaaa'), [1, 2]);
    await store.join(record('peer-bbbb', { region: 'us-east', uploadKbps: 42 }), []);
    expect(await peer.getMember(ROOM, 'peer-bbbb')).toEqual(
      record('peer-bbbb', { region: 'us-east', uploadKbps: 42 }),
    );
    expect(await peer.getMember(ROOM, 'peer-cccc')).toBeNull();
    expect(await peer.getMember(OTHER_ROOM, 'peer-aaaa')).toBeNull();
    const ids = (await peer.listMembers(ROOM)).map((m) => m.peerId).sort();
    expect(ids).toEqual(['peer-aaaa', 'peer-bbbb']);
    expect(await store.leave(ROOM, 'peer-aaaa')).toBe(true);
    expect(await store.leave(ROOM, 'peer-aaaa')).toBe(false);
    expect((await peer.listMembers(ROOM)).map((m) => m.peerId)).toEqual(['peer-bbbb']);
  });

  it('replaces a member record (verified upload, reachability) and keeps its holdings', async () => {
    await store.join(record('peer-aaaa', { addressGroup: 'v4:10.0.1' }), [7]);
    const served = record('peer-aaaa', {
      addressGroup: 'v4:10.0.1',
      servedGroups: 3,
      unreachable: true,
    });
    expect(await store.updateMember(served)).toBe(true);
    expect(await peer.getMember(ROOM, 'peer-aaaa')).toEqual(served);
    expect(await peer.listMembers(ROOM)).toEqual([served]);
    const [candidate] = await peer.candidates(ROOM, query([7]));
    expect(candidate).toEqual({ record: served, held: [7] });
    // Not a member (left, or never joined): nothing is created.
    expect(await store.updateMember(record('peer-gone', { servedGroups: 1 }))).toBe(false);
    expect(await peer.getMember(ROOM, 'peer-gone')).toBeNull();
  });

  it('tracks holdings from the join and from deltas, capped per peer (oldest forgotten)', async () => {
    await store.join(record('peer-aaaa'), [1, 2, 3]);
    expect(await store.updateHave(ROOM, 'peer-aaaa', [4, 5], [2])).toBe(true);
    expect(await store.updateHave(ROOM, 'peer-none', [1], [])).toBe(false);
    let [candidate] = await peer.candidates(ROOM, query([1, 2, 5, 9]));
    expect([...candidate!.held].sort((a, b) => a - b)).toEqual([1, 5]);
    const recent = await peer.recentHoldings(ROOM, ['peer-aaaa', 'peer-none'], 3);
    expect(recent.get('peer-aaaa')).toEqual([5, 4, 3]);
    expect(recent.get('peer-none') ?? []).toEqual([]);
    await store.updateHave(ROOM, 'peer-aaaa', [10, 11, 12, 13, 14, 15], []);
    [candidate] = await peer.candidates(ROOM, query([1, 3, 4, 15]));
    // Cap 8: {1,3,4,5,10..15} is 10 sequences; 1 and 3 (oldest) are forgotten.
    expect([...candidate!.held].sort((a, b) => a - b)).toEqual([4, 15]);
    // A re-join replaces the holdings.
    await store.join(record('peer-aaaa'), [100]);
    [candidate] = await peer.candidates(ROOM, query([4, 100]));
    expect(candidate!.held).toEqual([100]);
  });

  it('keeps announcement order when the join and deltas fall in one millisecond', async () => {
    const { store: frozen, peer: frozenPeer } = await create(() => 1_700_000_000_000);
    await frozen.join(record('peer-aaaa'), [1, 2, 3]);
    await frozen.updateHave(ROOM, 'peer-aaaa', [4, 5], [2]);
    const recent = await frozenPeer.recentHoldings(ROOM, ['peer-aaaa'], 3);
    expect(recent.get('peer-aaaa')).toEqual([5, 4, 3]);
    await frozen.updateHave(ROOM, 'peer-aaaa', [10, 11, 12, 13, 14, 15], []);
    const [candidate] = await frozenPeer.candidates(ROOM, query([1, 3, 4, 15]));
    expect([...candidate!.held].sort((a, b) => a - b)).toEqual([4, 15]);
  });

  it('returns every member of a small swarm and a bounded sample of a large one, rare holders included', async () => {
    for (let i = 0; i < 40; i++) {
      await store.join(record(`peer-${String(i).padStart(4, '0')}`), i === 37 ? [500] : [1]);
    }
    expect(await peer.candidates(ROOM, query([], 100))).toHaveLength(40);
    const sample = await peer.candidates(ROOM, query([500], 10));
    expect(sample.length).toBeGreaterThanOrEqual(10);
    expect(sample.length).toBeLessThanOrEqual(11);
    const rare = sample.find((c) => c.record.peerId === 'peer-0037');
    expect(rare?.held).toEqual([500]);
    expect(new Set(sample.map((c) => c.record.peerId)).size).toBe(sample.length);
  });

  it('reports swarm sizes, largest first, and forgets empty swarms', async () => {
    await store.join(record('peer-aaaa'), []);
    await store.join(record('peer-bbbb'), []);
    await store.join(record('peer-cccc', { swarmId: ROOM_240 }), []);
    expect(await peer.swarmSizes(10)).toEqual({
      swarms: 2,
      peers: 3,
      top: [
        { swarmId: ROOM, peers: 2 },
        { swarmId: ROOM_240, peers: 1 },
      ],
    });
    await store.leave(ROOM_240, 'peer-cccc');
    expect((await peer.swarmSizes(10)).swarms).toBe(1);
  });

  it('expires members that were not touched within the ttl', async () => {
    await store.join(record('peer-aaaa'), [1]);
    await store.join(record('peer-bbbb'), [1]);
    const now = Date.now();
    await store.touch([{ swarmId: ROOM, peerId: 'peer-aaaa' }], now + 8000);
    const removed = await store.sweepExpired(now + 10_000, 5000);
    expect(removed).toEqual([{ swarmId: ROOM, peerId: 'peer-bbbb', nodeId: 'remote-node' }]);
    expect((await peer.listMembers(ROOM)).map((m) => m.peerId)).toEqual(['peer-aaaa']);
    const [candidate] = await peer.candidates(ROOM, query([1]));
    expect(candidate!.record.peerId).toBe('peer-aaaa');
  });

  it('counts distinct reporters within the window, from any node, and keeps bans for their duration', async () => {
    expect(await store.addReport('stream', 'bad', 'v1', 60_000)).toBe(1);
    expect(await peer.addReport('stream', 'bad', 'v1', 60_000)).toBe(1);
    expect(await peer.addReport('stream', 'bad', 'v2', 60_000)).toBe(2);
    expect(await store.addReport('stream', 'bad', 'v3', 60_000)).toBe(3);
    expect(await peer.addReport('other', 'bad', 'v3', 60_000)).toBe(1);
    expect(await peer.isBanned('stream', 'bad')).toBe(false);
    await store.ban('stream', 'bad', 60_000);
    await store.ban('stream', 'brief', 50);
    expect(await peer.isBanned('stream', 'bad')).toBe(true);
    expect(await peer.isBanned('other', 'bad')).toBe(false);
    await waitFor('the brief ban expired', async () => !(await peer.isBanned('stream', 'brief')));
  });

  it('stores elections with compare-and-set on the epoch', async () => {
    await store.join(record('peer-aaaa'), []);
    expect(await peer.getElection(ROOM)).toBeNull();
    const first = { epoch: 1, fetchers: ['peer-aaaa'], perSegment: 1 };
    expect(await store.compareAndSetElection(ROOM, 0, first)).toBe(true);
    expect(await store.compareAndSetElection(ROOM, 0, { ...first, epoch: 5 })).toBe(false);
    expect(await peer.getElection(ROOM)).toEqual(first);
    const second = { epoch: 2, fetchers: ['peer-aaaa', 'peer-bbbb'], perSegment: 2 };
    expect(await store.compareAndSetElection(ROOM, 1, second)).toBe(true);
    expect(await peer.getElection(ROOM)).toEqual(second);
  });
});
