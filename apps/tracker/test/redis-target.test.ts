import { roomId } from '@coral-cdn/tracker-core';
import { describe, expect, it } from 'vitest';
import { redisTargetOf, trackerConfig } from '../src/config.js';
import { parseLeaveReply, parseSweepReply } from '../src/store/redis-codec.js';
import { RedisKeys } from '../src/store/redis-keys.js';
import {
  ClusterNodesError,
  parseClusterNodes,
  roomIndexInScripts,
} from '../src/store/redis-target.js';

describe('REDIS_CLUSTER_NODES', () => {
  it('parses seed nodes in order, each once, IPv6 in brackets', () => {
    expect(parseClusterNodes('127.0.0.1:7000, redis-b:7001,[::1]:7002,127.0.0.1:7000')).toEqual([
      { host: '127.0.0.1', port: 7000 },
      { host: 'redis-b', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
  });

  it.each(['', '127.0.0.1', 'host:0', 'host:70000', 'redis://host:7000', 'a:1,,b:2'])(
    'refuses %j',
    (text) => {
      expect(() => parseClusterNodes(text)).toThrow(ClusterNodesError);
    },
  );

  it('chooses the store: memory, one Redis or a cluster, never both', () => {
    expect(redisTargetOf(trackerConfig({}))).toBeNull();
    expect(redisTargetOf(trackerConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }))).toEqual({
      kind: 'single',
      url: 'redis://127.0.0.1:6379',
    });
    const cluster = redisTargetOf(trackerConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000' }));
    expect(cluster).toEqual({ kind: 'cluster', nodes: [{ host: '10.0.0.1', port: 7000 }] });
    expect(() => trackerConfig({ REDIS_CLUSTER_NODES: 'nope' })).toThrow(/REDIS_CLUSTER_NODES/);
    expect(() => trackerConfig({ REDIS_URL: 'redis://a:1', REDIS_CLUSTER_NODES: 'b:2' })).toThrow(
      /not both/,
    );
  });
});

describe('Redis key layout', () => {
  const room = roomId('live/720p', 1);

  it('keeps the room index inside the scripts on one Redis only', () => {
    expect(roomIndexInScripts({ kind: 'single', url: 'redis://x:1' })).toBe(true);
    expect(roomIndexInScripts({ kind: 'cluster', nodes: [{ host: 'x', port: 1 }] })).toBe(false);
    const single = new RedisKeys('p:', true);
    expect(single.membership(room)).toEqual(['p:{live/720p}:m', 'p:{live/720p}:seen', 'p:swarms']);
    expect(single.touch(room).at(-1)).toBe('p:swarms');
  });

  it('gives every script of a cluster the keys of one hash tag only', () => {
    const keys = new RedisKeys('p:', false);
    for (const list of [keys.membership(room), keys.touch(room)]) {
      expect(list.length).toBeGreaterThan(0);
      for (const key of list) expect(key.startsWith('p:{live/720p}:')).toBe(true);
    }
  });

  it('reads the leave and sweep replies', () => {
    expect(parseLeaveReply([1, 0])).toEqual({ removed: true, emptied: false });
    expect(parseLeaveReply([0, 1])).toEqual({ removed: false, emptied: true });
    expect(parseLeaveReply(1)).toBeNull();
    expect(parseSweepReply([1, 'peer-a', 'node-a', 'peer-b', 'node-b'])).toEqual({
      emptied: true,
      removed: [
        { peerId: 'peer-a', nodeId: 'node-a' },
        { peerId: 'peer-b', nodeId: 'node-b' },
      ],
    });
    expect(parseSweepReply([0])).toEqual({ emptied: false, removed: [] });
    expect(parseSweepReply(null)).toBeNull();
  });
});
