import type { Logger } from '@coral-cdn/server-kit';
import { storedRoomId, type RoomId } from '@coral-cdn/tracker-core';
import type { Redis } from 'ioredis';
import { HOLDER_SCAN_FACTOR, MemoryStore, RECENT_RING } from './memory-store.js';
import { decodeHoldings, encodeHoldings, parseElection, parseRecord } from './redis-codec.js';
import { RedisLink } from './redis-link.js';
import { scripts, type ScriptName } from './redis-scripts.js';
import { Semaphore } from './semaphore.js';
import type {
  Candidate,
  CandidateQuery,
  ClusterEvent,
  ElectionState,
  MemberRecord,
  RemovedMember,
  StoreStatus,
  SwarmSize,
  SwarmStore,
} from './types.js';

export interface RedisStoreOptions {
  url: string;
  nodeId: string;
  keyPrefix: string;
  maxHavePerPeer: number;
  /** How long swarm keys outlive the last refresh by any node. */
  keepMs: number;
  logger: Logger;
  /** Called when Redis becomes unreachable (false) or is back and re-synced (true). */
  onHealthChange?: (healthy: boolean) => void;
  onCommandError?: () => void;
  commandTimeoutMs?: number;
  now?: () => number;
}

/**
 * Swarms shared by every tracker node through Redis. This node's own members are also kept in
 * a local MemoryStore: while Redis is unreachable the node matches and elects among its own
 * peers (degraded, logged, visible in /stats and metrics); when Redis is back it re-registers
 * them all and reports recovery, and the tracker re-runs its elections.
 * Commands fail fast during an outage (no offline queue, no retries); nothing here rejects.
 */
export class RedisStore implements SwarmStore {
  readonly kind = 'redis' as const;
  private readonly link: RedisLink;
  private readonly redis: Redis;
  private readonly local: MemoryStore;
  private readonly now: () => number;
  private readonly log: Logger;
  /**
   * Matching reads cost Redis far more than writes; past a few dozen in flight they only queue
   * up inside Redis until they exceed the command timeout. Excess waits here instead.
   */
  private readonly heavyReads = new Semaphore(32);

  constructor(private readonly options: RedisStoreOptions) {
    this.now = options.now ?? Date.now;
    this.log = options.logger.child({ component: 'redis-store' });
    this.local = new MemoryStore({ maxHavePerPeer: options.maxHavePerPeer, now: this.now });
    this.link = new RedisLink({
      url: options.url,
      nodeId: options.nodeId,
      keyPrefix: options.keyPrefix,
      logger: options.logger,
      now: this.now,
      onHealthChange: options.onHealthChange,
      onCommandError: options.onCommandError,
      commandTimeoutMs: options.commandTimeoutMs,
      reRegister: (pipeline) => {
        const members = this.local.allMembers();
        for (const record of members) this.queueJoin(pipeline, record);
        return members.length;
      },
    });
    this.redis = this.link.redis;
  }

  /** Connect; resolves either way (unreachable Redis means starting degraded). */
  start(): Promise<void> {
    return this.link.start();
  }

  status(): StoreStatus {
    return this.link.status();
  }

  private get healthy(): boolean {
    return this.link.status().healthy;
  }

  private run<T, F>(what: string, fallback: F, command: () => Promise<T>): Promise<T | F> {
    return this.link.run(what, fallback, command);
  }

  private evalScript(name: ScriptName, keys: string[], args: Array<string | number>) {
    return this.link.evalScript(name, keys, args);
  }

  publish(event: ClusterEvent): Promise<void> {
    return this.link.publish(event);
  }

  onEvent(handler: (event: ClusterEvent) => void): void {
    this.link.onEvent(handler);
  }

  onRecovered(handler: () => void): void {
    this.link.onRecovered(handler);
  }

  async destroy(): Promise<void> {
    await this.link.destroy();
    await this.local.destroy();
  }

  async join(record: MemberRecord, have: readonly number[]): Promise<void> {
    this.local.joinSync(record, have);
    const { keys, args } = this.joinArgs(record);
    await this.run('join', null, () => this.evalScript('join', keys, args));
  }

  async updateMember(record: MemberRecord): Promise<boolean> {
    const local = this.local.updateMemberSync(record);
    const k = this.keys(record.swarmId);
    const updated = await this.run('updateMember', null, () =>
      this.evalScript('record', [k.m], [record.peerId, JSON.stringify(record)]),
    );
    return updated === null ? local : updated === 1;
  }

  async leave(swarmId: RoomId, peerId: string): Promise<boolean> {
    const wasLocal = this.local.leaveSync(swarmId, peerId);
    const k = this.keys(swarmId);
    const removed = await this.run('leave', null, () =>
      this.evalScript('leave', [k.m, k.seen, this.swarmsKey], [k.base, peerId, swarmId]),
    );
    return removed === 1 || wasLocal;
  }

  async updateHave(
    swarmId: RoomId,
    peerId: string,
    added: readonly number[],
    lost: readonly number[],
  ): Promise<boolean> {
    // Only the node holding the member's connection updates it: its copy is the truth, and
    // Redis gets the resulting ranges whole.
    const member = this.local.updateHaveSync(swarmId, peerId, added, lost);
    if (!member) return false;
    const k = this.keys(swarmId);
    const ranges = encodeHoldings(this.local.holdingsOf(swarmId, peerId));
    await this.run('have', null, () =>
      this.evalScript(
        'have',
        [k.m],
        [k.base, peerId, ranges, RECENT_RING, ...added.slice(-RECENT_RING)],
      ),
    );
    return member;
  }

  async getMember(swarmId: RoomId, peerId: string): Promise<MemberRecord | null> {
    const local = this.local.getMemberSync(swarmId, peerId);
    if (local) return local;
    const text = await this.run('getMember', null, () =>
      this.redis.hget(this.keys(swarmId).m, peerId),
    );
    return typeof text === 'string' ? parseRecord(text) : null;
  }

  async listMembers(swarmId: RoomId): Promise<MemberRecord[]> {
    const values = await this.heavyReads.run(() =>
      this.run('listMembers', null, () => this.redis.hvals(this.keys(swarmId).m)),
    );
    if (!values) return this.local.listMembersSync(swarmId);
    return values.map(parseRecord).filter((record) => record !== null);
  }

  async memberCount(swarmId: RoomId): Promise<number> {
    const count = await this.run('memberCount', null, () => this.redis.hlen(this.keys(swarmId).m));
    return count ?? this.local.memberCount(swarmId);
  }

  async candidates(swarmId: RoomId, query: CandidateQuery): Promise<Candidate[]> {
    const k = this.keys(swarmId);
    const reply = await this.heavyReads.run(() =>
      this.run('candidates', null, () =>
        this.evalScript(
          'candidates',
          [k.m],
          [k.base, query.scanLimit, query.holdersPerNeed, HOLDER_SCAN_FACTOR, ...query.need],
        ),
      ),
    );
    if (!Array.isArray(reply)) return this.local.candidatesSync(swarmId, query);
    if (reply.length < 2) return [];
    const [ids, records, ...flags] = reply as [unknown[], unknown[], ...unknown[][]];
    const result: Candidate[] = [];
    for (let i = 0; i < ids.length; i++) {
      const record = typeof records[i] === 'string' ? parseRecord(records[i] as string) : null;
      if (!record) continue;
      const held: number[] = [];
      query.need.forEach((sequence, n) => {
        if (flags[n]?.[i] === 1) held.push(sequence);
      });
      result.push({ record, held });
    }
    return result;
  }

  async recentHoldings(
    swarmId: RoomId,
    peerIds: readonly string[],
    count: number,
  ): Promise<Map<string, number[]>> {
    if (peerIds.length === 0) return new Map();
    const pipeline = this.redis.pipeline();
    const base = this.keys(swarmId).base;
    for (const peerId of peerIds) {
      pipeline.lrange(`${base}h:${peerId}`, 0, RECENT_RING - 1);
      pipeline.hget(`${base}r`, peerId);
    }
    const results = await this.run('recentHoldings', null, () => pipeline.exec());
    if (!results) return this.local.recentHoldingsSync(swarmId, peerIds, count);
    const map = new Map<string, number[]>();
    peerIds.forEach((peerId, i) => {
      const [listError, list] = results[i * 2] ?? [];
      const [rangesError, ranges] = results[i * 2 + 1] ?? [];
      if (listError || rangesError || !Array.isArray(list) || typeof ranges !== 'string') return;
      // Newest first, still held, each once.
      const holdings = decodeHoldings(ranges);
      const recent: number[] = [];
      for (const sequence of list.map(Number)) {
        if (recent.length >= count) break;
        if (holdings.has(sequence) && !recent.includes(sequence)) recent.push(sequence);
      }
      map.set(peerId, recent);
    });
    return map;
  }

  async touch(
    members: ReadonlyArray<{ swarmId: RoomId; peerId: string }>,
    nowMs: number,
  ): Promise<void> {
    await this.local.touch(members, nowMs);
    if (!this.healthy) return;
    const bySwarm = new Map<RoomId, string[]>();
    for (const { swarmId, peerId } of members) {
      const list = bySwarm.get(swarmId);
      if (list) list.push(peerId);
      else bySwarm.set(swarmId, [peerId]);
    }
    const pipeline = this.redis.pipeline();
    const order: RoomId[] = [];
    for (const [swarmId, peerIds] of bySwarm) {
      const k = this.keys(swarmId);
      order.push(swarmId);
      pipeline.evalsha(
        scripts.touch.sha,
        5,
        k.m,
        k.seen,
        this.swarmsKey,
        k.e,
        k.r,
        nowMs,
        swarmId,
        this.options.keepMs,
        ...peerIds,
      );
    }
    pipeline.set(
      `${this.options.keyPrefix}nodes:${this.options.nodeId}`,
      nowMs,
      'PX',
      this.options.keepMs,
    );
    const results = await this.run('touch', null, () => pipeline.exec());
    if (!results) return;
    // Members another node swept (e.g. after a long pause here) are registered again.
    const rejoin = this.redis.pipeline();
    let count = 0;
    results.slice(0, order.length).forEach(([error, missing], index) => {
      if (error || !Array.isArray(missing)) return;
      for (const peerId of missing) {
        const record = this.local.getMemberSync(order[index]!, String(peerId));
        if (!record) continue;
        this.queueJoin(rejoin, record);
        count++;
      }
    });
    if (count > 0) {
      this.log.warn('re-registered members missing from redis', { count });
      await this.run('rejoin', null, () => rejoin.exec());
    }
  }

  async sweepExpired(nowMs: number, ttlMs: number): Promise<RemovedMember[]> {
    await this.local.sweepExpired(nowMs, Number.POSITIVE_INFINITY);
    const swarmIds = (
      await this.run('sweep', null, () => this.redis.zrange(this.swarmsKey, 0, -1))
    )?.map(storedRoomId);
    if (!swarmIds) return [];
    const removed: RemovedMember[] = [];
    for (const swarmId of swarmIds) {
      const k = this.keys(swarmId);
      const reply = await this.run('sweep', null, () =>
        this.evalScript(
          'sweep',
          [k.m, k.seen, this.swarmsKey],
          [k.base, nowMs - ttlMs, this.options.nodeId, swarmId, 500],
        ),
      );
      if (!Array.isArray(reply)) break;
      for (let i = 0; i + 1 < reply.length; i += 2) {
        removed.push({ swarmId, peerId: String(reply[i]), nodeId: String(reply[i + 1]) });
      }
    }
    return removed;
  }

  async addReport(
    streamId: string,
    targetViewer: string,
    reporterViewer: string,
    windowMs: number,
  ): Promise<number> {
    const local = await this.local.addReport(streamId, targetViewer, reporterViewer, windowMs);
    const nowMs = this.now();
    const count = await this.run('report', null, () =>
      this.evalScript(
        'report',
        [`${this.options.keyPrefix}reports:${streamId}:${targetViewer}`],
        [nowMs, nowMs + windowMs, reporterViewer],
      ),
    );
    return typeof count === 'number' ? Math.max(count, local) : local;
  }

  async ban(streamId: string, viewerId: string, durationMs: number): Promise<void> {
    await this.local.ban(streamId, viewerId, durationMs);
    await this.run('ban', null, () =>
      this.redis.set(this.banKey(streamId, viewerId), '1', 'PX', durationMs),
    );
  }

  async isBanned(streamId: string, viewerId: string): Promise<boolean> {
    if (await this.local.isBanned(streamId, viewerId)) return true;
    const exists = await this.run('isBanned', null, () =>
      this.redis.exists(this.banKey(streamId, viewerId)),
    );
    return exists === 1;
  }

  async getElection(swarmId: RoomId): Promise<ElectionState | null> {
    if (!this.healthy) return this.local.getElection(swarmId);
    const fields = await this.run('getElection', null, () =>
      this.redis.hgetall(this.keys(swarmId).e),
    );
    if (!fields) return this.local.getElection(swarmId);
    return parseElection(fields);
  }

  async compareAndSetElection(
    swarmId: RoomId,
    expectedEpoch: number,
    next: ElectionState,
  ): Promise<boolean> {
    if (!this.healthy) return this.local.compareAndSetElectionSync(swarmId, expectedEpoch, next);
    const stored = await this.run('elect', null, () =>
      this.evalScript(
        'elect',
        [this.keys(swarmId).e],
        [
          expectedEpoch,
          next.epoch,
          JSON.stringify(next.fetchers),
          next.perSegment,
          this.options.keepMs,
        ],
      ),
    );
    if (stored !== 1) return false;
    // Keep the local copy current, so a later outage continues from this election.
    const localEpoch = (await this.local.getElection(swarmId))?.epoch ?? 0;
    this.local.compareAndSetElectionSync(swarmId, localEpoch, next);
    return true;
  }

  async swarmSizes(limit: number): Promise<{ swarms: number; peers: number; top: SwarmSize[] }> {
    if (!this.healthy) return this.local.swarmSizes(limit);
    const swarmIds = await this.run('swarmSizes', null, () =>
      this.redis.zrange(this.swarmsKey, 0, 9999),
    );
    if (!swarmIds) return this.local.swarmSizes(limit);
    const rooms = swarmIds.map(storedRoomId);
    const pipeline = this.redis.pipeline();
    for (const room of rooms) pipeline.hlen(this.keys(room).m);
    const results = await this.run('swarmSizes', null, () => pipeline.exec());
    if (!results) return this.local.swarmSizes(limit);
    const sizes = rooms
      .map((swarmId, i) => ({ swarmId, peers: Number(results[i]?.[1] ?? 0) }))
      .filter((size) => size.peers > 0)
      .sort((a, b) => b.peers - a.peers || (a.swarmId < b.swarmId ? -1 : 1));
    return {
      swarms: sizes.length,
      peers: sizes.reduce((sum, size) => sum + size.peers, 0),
      top: sizes.slice(0, limit),
    };
  }

  // ---- internals ------------------------------------------------------------------------------

  private get swarmsKey(): string {
    return `${this.options.keyPrefix}swarms`;
  }

  private keys(swarmId: RoomId) {
    const base = `${this.options.keyPrefix}{${swarmId}}:`;
    return { base, m: `${base}m`, seen: `${base}seen`, e: `${base}e`, r: `${base}r` };
  }

  private banKey(streamId: string, viewerId: string): string {
    return `${this.options.keyPrefix}ban:${streamId}:${viewerId}`;
  }

  /** The member as this node's copy has it (holdings as ranges, latest additions). */
  private joinArgs(record: MemberRecord) {
    const k = this.keys(record.swarmId);
    const { swarmId, peerId } = record;
    return {
      keys: [k.m, k.seen, this.swarmsKey],
      args: [
        k.base,
        peerId,
        JSON.stringify(record),
        this.now(),
        swarmId,
        encodeHoldings(this.local.holdingsOf(swarmId, peerId)),
        RECENT_RING,
        ...this.local.recentAddedOf(swarmId, peerId).slice(0, RECENT_RING),
      ],
    };
  }

  private queueJoin(pipeline: ReturnType<Redis['pipeline']>, record: MemberRecord): void {
    const { keys, args } = this.joinArgs(record);
    pipeline.evalsha(scripts.join.sha, keys.length, ...keys, ...args);
  }
}
