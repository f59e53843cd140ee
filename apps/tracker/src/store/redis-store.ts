import type { Logger } from '@coral-cdn/server-kit';
import type { RoomId } from '@coral-cdn/tracker-core';
import { HOLDER_SCAN_FACTOR, MemoryStore, RECENT_RING } from './memory-store.js';
import {
  decodeCandidates,
  decodeRecent,
  encodeHoldings,
  parseElection,
  parseLeaveReply,
  parseRecord,
  parseSweepReply,
} from './redis-codec.js';
import { RoomIndex } from './redis-index.js';
import { RedisKeys } from './redis-keys.js';
import { RedisLink, type Batch } from './redis-link.js';
import { type ScriptName } from './redis-scripts.js';
import { roomIndexInScripts, type RedisClient, type RedisTarget } from './redis-target.js';
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
  /** One Redis or a Redis Cluster (redis-target.ts). */
  target: RedisTarget;
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
  private readonly redis: RedisClient;
  private readonly k: RedisKeys;
  private readonly index: RoomIndex;
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
    this.k = new RedisKeys(options.keyPrefix, roomIndexInScripts(options.target));
    this.local = new MemoryStore({ maxHavePerPeer: options.maxHavePerPeer, now: this.now });
    this.link = new RedisLink({
      target: options.target,
      nodeId: options.nodeId,
      keyPrefix: options.keyPrefix,
      logger: options.logger,
      now: this.now,
      onHealthChange: options.onHealthChange,
      onCommandError: options.onCommandError,
      commandTimeoutMs: options.commandTimeoutMs,
      reRegister: (batch) => {
        const members = this.local.allMembers();
        for (const record of members) this.queueJoin(batch, record);
        return members.length;
      },
    });
    this.redis = this.link.redis;
    this.index = new RoomIndex(this.redis, this.k, (what, fallback, command) =>
      this.run(what, fallback, command),
    );
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
    const batch: Batch = [];
    this.queueJoin(batch, record);
    await this.run('join', null, () => this.sendAll(batch));
  }

  async updateMember(record: MemberRecord): Promise<boolean> {
    const local = this.local.updateMemberSync(record);
    const k = this.k.room(record.swarmId);
    const updated = await this.run('updateMember', null, () =>
      this.evalScript('record', [k.m], [record.peerId, JSON.stringify(record)]),
    );
    return updated === null ? local : updated === 1;
  }

  async leave(swarmId: RoomId, peerId: string): Promise<boolean> {
    const wasLocal = this.local.leaveSync(swarmId, peerId);
    const k = this.k.room(swarmId);
    const reply = parseLeaveReply(
      await this.run('leave', null, () =>
        this.evalScript('leave', this.k.membership(swarmId), [k.base, peerId, swarmId]),
      ),
    );
    if (reply?.emptied) await this.index.remove(swarmId);
    return reply?.removed === true || wasLocal;
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
    const k = this.k.room(swarmId);
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
      this.redis.hget(this.k.room(swarmId).m, peerId),
    );
    return typeof text === 'string' ? parseRecord(text) : null;
  }

  async listMembers(swarmId: RoomId): Promise<MemberRecord[]> {
    const values = await this.heavyReads.run(() =>
      this.run('listMembers', null, () => this.redis.hvals(this.k.room(swarmId).m)),
    );
    if (!values) return this.local.listMembersSync(swarmId);
    return values.map(parseRecord).filter((record) => record !== null);
  }

  async memberCount(swarmId: RoomId): Promise<number> {
    const count = await this.run('memberCount', null, () =>
      this.redis.hlen(this.k.room(swarmId).m),
    );
    return count ?? this.local.memberCount(swarmId);
  }

  async candidates(swarmId: RoomId, query: CandidateQuery): Promise<Candidate[]> {
    const k = this.k.room(swarmId);
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
    return decodeCandidates(reply, query.need);
  }

  async recentHoldings(
    swarmId: RoomId,
    peerIds: readonly string[],
    count: number,
  ): Promise<Map<string, number[]>> {
    if (peerIds.length === 0) return new Map();
    const pipeline = this.redis.pipeline();
    const base = this.k.room(swarmId).base;
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
      if (listError || rangesError) return;
      const recent = decodeRecent(list, ranges, count);
      if (recent) map.set(peerId, recent);
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
    const batch: Batch = [];
    const order: RoomId[] = [];
    for (const [swarmId, peerIds] of bySwarm) {
      order.push(swarmId);
      batch.push(() =>
        this.evalScript('touch', this.k.touch(swarmId), [
          nowMs,
          swarmId,
          this.options.keepMs,
          ...peerIds,
        ]),
      );
    }
    batch.push(() =>
      this.redis.set(this.k.node(this.options.nodeId), nowMs, 'PX', this.options.keepMs),
    );
    // Every room with members here is in the index again.
    this.index.queueAdd(batch, order, nowMs);
    const results = await this.run('touch', null, () => this.link.runBatch(batch));
    if (!results) return;
    // Members another node swept (e.g. after a long pause here) are registered again.
    const rejoin: Batch = [];
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
      await this.run('rejoin', null, () => this.sendAll(rejoin));
    }
  }

  async sweepExpired(nowMs: number, ttlMs: number): Promise<RemovedMember[]> {
    await this.local.sweepExpired(nowMs, Number.POSITIVE_INFINITY);
    const swarmIds = await this.index.list('sweep', -1);
    if (!swarmIds) return [];
    const removed: RemovedMember[] = [];
    for (const swarmId of swarmIds) {
      const k = this.k.room(swarmId);
      const reply = parseSweepReply(
        await this.run('sweep', null, () =>
          this.evalScript('sweep', this.k.membership(swarmId), [
            k.base,
            nowMs - ttlMs,
            this.options.nodeId,
            swarmId,
            500,
          ]),
        ),
      );
      if (!reply) break;
      for (const { peerId, nodeId } of reply.removed) removed.push({ swarmId, peerId, nodeId });
      if (reply.emptied) await this.index.remove(swarmId);
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
        [this.k.reports(streamId, targetViewer)],
        [nowMs, nowMs + windowMs, reporterViewer],
      ),
    );
    return typeof count === 'number' ? Math.max(count, local) : local;
  }

  async ban(streamId: string, viewerId: string, durationMs: number): Promise<void> {
    await this.local.ban(streamId, viewerId, durationMs);
    await this.run('ban', null, () =>
      this.redis.set(this.k.ban(streamId, viewerId), '1', 'PX', durationMs),
    );
  }

  async isBanned(streamId: string, viewerId: string): Promise<boolean> {
    if (await this.local.isBanned(streamId, viewerId)) return true;
    const exists = await this.run('isBanned', null, () =>
      this.redis.exists(this.k.ban(streamId, viewerId)),
    );
    return exists === 1;
  }

  async getElection(swarmId: RoomId): Promise<ElectionState | null> {
    if (!this.healthy) return this.local.getElection(swarmId);
    const fields = await this.run('getElection', null, () =>
      this.redis.hgetall(this.k.room(swarmId).e),
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
        [this.k.room(swarmId).e],
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
    const rooms = await this.index.list('swarmSizes', 10_000);
    if (!rooms) return this.local.swarmSizes(limit);
    const results = await this.run('swarmSizes', null, () =>
      this.link.runBatch(rooms.map((room) => () => this.redis.hlen(this.k.room(room).m))),
    );
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

  /** The member as this node's copy has it (holdings as ranges, latest additions). */
  private joinArgs(record: MemberRecord) {
    const k = this.k.room(record.swarmId);
    const { swarmId, peerId } = record;
    return {
      keys: this.k.membership(swarmId),
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

  private queueJoin(batch: Batch, record: MemberRecord): void {
    const { keys, args } = this.joinArgs(record);
    batch.push(() => this.evalScript('join', keys, args));
    this.index.queueAdd(batch, [record.swarmId], this.now());
  }

  /** Send a batch; rejects with the first command's error, as one command would. */
  private async sendAll(batch: Batch): Promise<void> {
    const failed = (await this.link.runBatch(batch)).find(([error]) => error);
    if (failed) throw failed[0]!;
  }
}
