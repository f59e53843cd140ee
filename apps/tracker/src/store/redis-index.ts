import { storedRoomId, type RoomId } from '@coral-cdn/tracker-core';
import type { RedisKeys } from './redis-keys.js';
import type { Batch } from './redis-link.js';
import type { RedisClient } from './redis-target.js';

type Run = <T, F>(what: string, fallback: F, command: () => Promise<T>) => Promise<T | F>;

/**
 * The room index (`<prefix>swarms`: ZSET roomId -> last refresh), which the sweep and the
 * swarm sizes read. On one Redis the room scripts keep it, atomically with the room, and
 * everything here but reading is a no-op. On a Redis Cluster it is in another hash slot
 * than any room, so it is written here, beside the scripts: added at each join and each
 * touch, removed when a script reports its room emptied. A join racing that removal may find
 * its room out of the index until its node's next touch (one heartbeat) adds it back.
 */
export class RoomIndex {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly run: Run,
  ) {}

  /** Queue rooms that have members as of `nowMs`. */
  queueAdd(batch: Batch, rooms: readonly RoomId[], nowMs: number): void {
    if (this.keys.indexInScripts || rooms.length === 0) return;
    const entries = rooms.flatMap((room) => [nowMs, room]);
    batch.push(() => this.redis.zadd(this.keys.index, ...entries));
  }

  /** A script reported the room emptied. */
  async remove(room: RoomId): Promise<void> {
    if (this.keys.indexInScripts) return;
    await this.run('unindex', null, () => this.redis.zrem(this.keys.index, room));
  }

  /** The first `limit` rooms (all: -1); null when Redis did not answer. */
  async list(what: string, limit: number): Promise<RoomId[] | null> {
    const stop = limit < 0 ? -1 : limit - 1;
    const rooms = await this.run(what, null, () => this.redis.zrange(this.keys.index, 0, stop));
    return rooms?.map(storedRoomId) ?? null;
  }
}
