import type { RoomId } from '@coral-cdn/tracker-core';

/** A room's keys: one hash tag `{<roomId>}`, so one slot (redis-scripts.ts has the layout). */
export interface RoomKeys {
  readonly base: string;
  readonly m: string;
  readonly seen: string;
  readonly e: string;
  readonly r: string;
}

/**
 * Every key and the KEYS of every script of the Redis store. `indexInScripts` says whether the
 * room index goes to the room scripts as their last key (one Redis) or not (a cluster: the
 * store writes it beside them).
 */
export class RedisKeys {
  constructor(
    private readonly prefix: string,
    readonly indexInScripts: boolean,
  ) {}

  /** The room index: ZSET roomId -> last refresh. */
  get index(): string {
    return `${this.prefix}swarms`;
  }

  room(swarmId: RoomId): RoomKeys {
    const base = `${this.prefix}{${swarmId}}:`;
    return { base, m: `${base}m`, seen: `${base}seen`, e: `${base}e`, r: `${base}r` };
  }

  /** KEYS of the join, leave and sweep scripts. */
  membership(swarmId: RoomId): string[] {
    const k = this.room(swarmId);
    return this.withIndex([k.m, k.seen]);
  }

  /** KEYS of the touch script. */
  touch(swarmId: RoomId): string[] {
    const k = this.room(swarmId);
    return this.withIndex([k.m, k.seen, k.e, k.r]);
  }

  ban(streamId: string, viewerId: string): string {
    return `${this.prefix}ban:${streamId}:${viewerId}`;
  }

  reports(streamId: string, viewerId: string): string {
    return `${this.prefix}reports:${streamId}:${viewerId}`;
  }

  node(nodeId: string): string {
    return `${this.prefix}nodes:${nodeId}`;
  }

  private withIndex(keys: string[]): string[] {
    return this.indexInScripts ? [...keys, this.index] : keys;
  }
}
