import { connectionTypeSchema, type ConnectionType } from '@coral-cdn/protocol';
import type { Logger } from '@coral-cdn/server-kit';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { storedRoomId, type RoomId } from '@coral-cdn/tracker-core';
import { MemoryStore } from './memory-store.js';
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

/** Pause between attempts when Redis is up but refuses the subscription (e.g. an ACL). */
const SUBSCRIBE_RETRY_MS = 500;
/** Pause before retrying a recovery that failed with both connections still up. */
const RECOVERY_RETRY_MS = 1000;

const envelopeSchema = z.object({
  from: z.string(),
  event: z.looseObject({ kind: z.string() }),
});

/**
 * Swarms shared by every tracker node through Redis. This node's own members are also kept in
 * a local MemoryStore: while Redis is unreachable the node matches and elects among its own
 * peers (degraded, logged, visible in /stats and metrics); when Redis is back it re-registers
 * them all and reports recovery, and the tracker re-runs its elections.
 * Commands fail fast during an outage (no offline queue, no retries); nothing here rejects.
 */
export class RedisStore implements SwarmStore {
  readonly kind = 'redis' as const;
  private readonly redis: Redis;
  private readonly subscriber: Redis;
  private readonly local: MemoryStore;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly eventHandlers: Array<(event: ClusterEvent) => void> = [];
  private readonly recoveredHandlers: Array<() => void> = [];
  /** Commands go to Redis: set once a recovery has both connections up and subscribed. */
  private healthy = false;
  /** What onHealthChange last said; recovery is announced once per outage. */
  private reportedHealthy = false;
  private degradedSinceMs: number | null;
  private lastError: string | null = null;
  private destroyed = false;
  private connectedOnce = false;
  private commandReady = false;
  /** The subscriber is ready and Redis confirmed both subscriptions. */
  private subscribed = false;
  /** Bumped whenever either connection closes: a recovery begun before then is stale. */
  private generation = 0;
  /** Bumped on each subscriber ready/close, so only the latest subscribe attempt counts. */
  private subscriberSession = 0;
  private recovering = false;
  /** Pending pauses (retries), each with its wake-up: destroy() ends them at once. */
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private readonly busChannel: string;
  private readonly nodeChannel: string;
  /**
   * Matching reads cost Redis far more than writes; past a few dozen in flight they only queue
   * up inside Redis until they exceed the command timeout. Excess waits here instead.
   */
  private readonly heavyReads = new Semaphore(32);

  constructor(private readonly options: RedisStoreOptions) {
    this.log = options.logger.child({ component: 'redis-store' });
    this.now = options.now ?? Date.now;
    this.degradedSinceMs = this.now();
    this.local = new MemoryStore({ maxHavePerPeer: options.maxHavePerPeer, now: this.now });
    this.busChannel = `${options.keyPrefix}bus`;
    this.nodeChannel = `${options.keyPrefix}node:${options.nodeId}`;
    const common = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 2000,
      connectTimeout: 2000,
      retryStrategy: (attempt: number) => Math.min(100 * attempt, 1000),
    };
    this.redis = new Redis(options.url, { ...common, connectionName: `tracker-${options.nodeId}` });
    this.subscriber = new Redis(options.url, {
      ...common,
      commandTimeout: undefined,
      // Subscribing is ours to do (and to await) on every ready, so recovery knows when it is done.
      autoResubscribe: false,
      connectionName: `tracker-${options.nodeId}-sub`,
    });
    this.redis.on('ready', () => {
      if (this.destroyed) return;
      this.commandReady = true;
      this.maybeRecover();
    });
    this.redis.on('close', () => {
      this.commandReady = false;
      this.onDown('connection closed');
    });
    this.subscriber.on('ready', () => void this.subscribe());
    this.subscriber.on('close', () => {
      this.subscriberSession++;
      this.subscribed = false;
      this.onDown('subscriber connection closed');
    });
    for (const client of [this.redis, this.subscriber]) {
      client.on('error', (error: Error) => {
        this.lastError = error.message;
      });
    }
    this.subscriber.on('message', (_channel: string, text: string) => this.onMessage(text));
  }

  /** Connect; resolves either way (unreachable Redis means starting degraded). */
  async start(): Promise<void> {
    const failures: unknown[] = [];
    await Promise.all(
      [this.redis, this.subscriber].map((client) =>
        client.connect().catch((error: unknown) => void failures.push(error)),
      ),
    );
    if (failures.length > 0 && !this.destroyed) {
      this.log.warn('redis unreachable at start: matching only this node’s peers until it is', {
        err: failures[0],
      });
    }
  }

  status(): StoreStatus {
    return {
      kind: 'redis',
      healthy: this.healthy,
      degradedSinceMs: this.healthy ? null : this.degradedSinceMs,
      lastError: this.lastError,
    };
  }

  async join(record: MemberRecord, have: readonly number[]): Promise<void> {
    this.local.joinSync(record, have);
    const { keys, args } = this.joinArgs(record, have);
    await this.run('join', null, () => this.evalScript('join', keys, args));
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
    const member = this.local.updateHaveSync(swarmId, peerId, added, lost);
    const k = this.keys(swarmId);
    await this.run('have', null, () =>
      this.evalScript(
        'have',
        [k.m],
        [k.base, peerId, this.now(), this.options.maxHavePerPeer, added.length, ...added, ...lost],
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
          [k.base, query.scanLimit, query.holdersPerNeed, ...query.need],
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
    for (const peerId of peerIds) pipeline.zrevrange(`${base}h:${peerId}`, 0, count - 1);
    const results = await this.run('recentHoldings', null, () => pipeline.exec());
    if (!results) return this.local.recentHoldingsSync(swarmId, peerIds, count);
    const map = new Map<string, number[]>();
    results.forEach(([error, value], i) => {
      if (error || !Array.isArray(value)) return;
      map.set(
        peerIds[i]!,
        value.map(Number).filter((n) => Number.isInteger(n)),
      );
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
        4,
        k.m,
        k.seen,
        this.swarmsKey,
        k.e,
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
        this.queueJoin(rejoin, record, this.local.haveOf(record.swarmId, record.peerId));
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

  async publish(event: ClusterEvent): Promise<void> {
    if (!this.healthy) return;
    const channel =
      'toNode' in event ? `${this.options.keyPrefix}node:${event.toNode}` : this.busChannel;
    await this.run('publish', null, () =>
      this.redis.publish(channel, JSON.stringify({ from: this.options.nodeId, event })),
    );
  }

  onEvent(handler: (event: ClusterEvent) => void): void {
    this.eventHandlers.push(handler);
  }

  onRecovered(handler: () => void): void {
    this.recoveredHandlers.push(handler);
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    this.healthy = false;
    for (const [timer, wake] of this.timers) {
      clearTimeout(timer);
      wake();
    }
    this.timers.clear();
    this.redis.removeAllListeners('close');
    this.subscriber.removeAllListeners('close');
    await Promise.all([quit(this.redis), quit(this.subscriber)]);
    await this.local.destroy();
  }

  // ---- internals ------------------------------------------------------------------------------

  private get swarmsKey(): string {
    return `${this.options.keyPrefix}swarms`;
  }

  private keys(swarmId: RoomId) {
    const base = `${this.options.keyPrefix}{${swarmId}}:`;
    return { base, m: `${base}m`, seen: `${base}seen`, e: `${base}e` };
  }

  private banKey(streamId: string, viewerId: string): string {
    return `${this.options.keyPrefix}ban:${streamId}:${viewerId}`;
  }

  private joinArgs(record: MemberRecord, have: readonly number[]) {
    const k = this.keys(record.swarmId);
    return {
      keys: [k.m, k.seen, this.swarmsKey],
      args: [
        k.base,
        record.peerId,
        JSON.stringify(record),
        this.now(),
        record.swarmId,
        this.options.maxHavePerPeer,
        ...have,
      ],
    };
  }

  private queueJoin(
    pipeline: ReturnType<Redis['pipeline']>,
    record: MemberRecord,
    have: readonly number[],
  ): void {
    const { keys, args } = this.joinArgs(record, have);
    pipeline.evalsha(scripts.join.sha, keys.length, ...keys, ...args);
  }

  private async evalScript(
    name: ScriptName,
    keys: string[],
    args: Array<string | number>,
  ): Promise<unknown> {
    const script = scripts[name];
    try {
      return await this.redis.evalsha(script.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.redis.eval(script.source, keys.length, ...keys, ...args);
    }
  }

  /** Run a command if Redis is healthy; on failure log, count, and return `fallback`. */
  private async run<T, F>(what: string, fallback: F, command: () => Promise<T>): Promise<T | F> {
    if (!this.healthy || this.destroyed) return fallback;
    try {
      return await command();
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
      this.options.onCommandError?.();
      this.log.warn('redis command failed; using this node only', { what, err: error });
      return fallback;
    }
  }

  /** Subscribe after each subscriber ready; retried while the connection stays up. */
  private async subscribe(): Promise<void> {
    if (this.destroyed) return;
    const session = ++this.subscriberSession;
    while (!this.destroyed && session === this.subscriberSession) {
      try {
        // Resolves once Redis confirmed both channels: from then on nothing sent to them is lost.
        await this.subscriber.subscribe(this.busChannel, this.nodeChannel);
        if (this.destroyed || session !== this.subscriberSession) return;
        this.subscribed = true;
        this.maybeRecover();
        return;
      } catch (error) {
        if (this.destroyed || session !== this.subscriberSession) return;
        this.lastError = error instanceof Error ? error.message : String(error);
        this.log.warn('redis subscribe failed; retrying', { err: error });
        await this.sleep(SUBSCRIBE_RETRY_MS);
      }
    }
  }

  /**
   * Start a recovery when both connections are up and subscribed, unless one runs already.
   * Called on every readiness change; a recovery that saw a connection close meanwhile gives
   * up, and the next readiness change (or this call, after it ends) starts a fresh one.
   */
  private maybeRecover(): void {
    if (this.destroyed || this.healthy || this.recovering) return;
    if (!this.commandReady || !this.subscribed) return;
    this.recovering = true;
    void this.recover(this.generation).then((outcome) => {
      this.recovering = false;
      if (outcome === 'stale') this.maybeRecover();
      else if (outcome === 'failed') {
        void this.sleep(RECOVERY_RETRY_MS).then(() => this.maybeRecover());
      }
    });
  }

  private async recover(generation: number): Promise<'done' | 'stale' | 'failed'> {
    const stale = () => this.destroyed || generation !== this.generation;
    try {
      await Promise.all(
        Object.values(scripts).map((script) => this.redis.script('LOAD', script.source)),
      );
    } catch (error) {
      if (stale()) return 'stale';
      this.log.warn('loading redis scripts failed', { err: error });
      return 'failed';
    }
    if (stale()) return 'stale';
    // Healthy first, then queue the re-registration in this same tick: commands on one
    // connection run in order, so no later write can be overtaken by the snapshot.
    const members = this.local.allMembers();
    this.healthy = true;
    const pipeline = this.redis.pipeline();
    for (const record of members) {
      this.queueJoin(pipeline, record, this.local.haveOf(record.swarmId, record.peerId));
    }
    const results = await pipeline.exec().catch((error: unknown) => {
      this.log.warn('re-registering members failed', { err: error });
      return null;
    });
    // A close meanwhile already made this node degraded again (still one outage, not reported).
    if (stale()) return 'stale';
    if (!results) {
      this.healthy = false;
      return 'failed';
    }
    const failed = results.filter(([error]) => error).length;
    if (failed > 0) this.log.warn('some members were not re-registered', { failed });
    this.reportHealthy(members.length);
    return 'done';
  }

  private reportHealthy(reRegistered: number): void {
    if (this.reportedHealthy) return;
    const wasDegradedSince = this.connectedOnce ? this.degradedSinceMs : null;
    this.connectedOnce = true;
    this.reportedHealthy = true;
    this.degradedSinceMs = null;
    this.log.info(wasDegradedSince === null ? 'redis connected' : 'redis recovered', {
      reRegistered,
      degradedMs: wasDegradedSince === null ? 0 : this.now() - wasDegradedSince,
    });
    for (const handler of [() => this.options.onHealthChange?.(true), ...this.recoveredHandlers]) {
      try {
        handler();
      } catch (error) {
        this.log.error('redis recovery handler failed', { err: error });
      }
    }
  }

  /** Either connection closed: degraded until a recovery completes. Idempotent per outage. */
  private onDown(reason: string): void {
    if (this.destroyed) return;
    this.generation++;
    this.healthy = false;
    if (!this.reportedHealthy) return;
    this.reportedHealthy = false;
    this.degradedSinceMs = this.now();
    this.log.warn('redis unreachable: matching only this node’s peers until it returns', {
      reason,
      lastError: this.lastError,
    });
    this.options.onHealthChange?.(false);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      timer.unref();
      this.timers.set(timer, resolve);
    });
  }

  private onMessage(text: string): void {
    let envelope: { from: string; event: ClusterEvent };
    try {
      const parsed = envelopeSchema.safeParse(JSON.parse(text));
      if (!parsed.success) return;
      envelope = parsed.data as unknown as { from: string; event: ClusterEvent };
    } catch (_error) {
      return;
    }
    if (envelope.from === this.options.nodeId) return;
    for (const handler of this.eventHandlers) {
      try {
        handler(envelope.event);
      } catch (error) {
        this.log.error('cluster event handler failed', { err: error });
      }
    }
  }
}

/** Records come from tracker nodes; a structural check is enough (and cheap per candidate). */
function parseRecord(text: string): MemberRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (_error) {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const r = value as Record<string, unknown>;
  const ok =
    typeof r.peerId === 'string' &&
    typeof r.swarmId === 'string' &&
    typeof r.nodeId === 'string' &&
    typeof r.viewerId === 'string' &&
    typeof r.region === 'string' &&
    typeof r.uploadKbps === 'number' &&
    typeof r.live === 'boolean' &&
    typeof r.joinedAtMs === 'number' &&
    connectionTypeSchema.options.includes(r.connectionType as ConnectionType);
  return ok ? (value as MemberRecord) : null;
}

function parseElection(fields: Record<string, string>): ElectionState | null {
  const epoch = Number(fields.epoch);
  if (!Number.isInteger(epoch) || epoch <= 0) return null;
  let fetchers: string[] = [];
  try {
    const parsed: unknown = JSON.parse(fields.fetchers ?? '[]');
    if (Array.isArray(parsed)) fetchers = parsed.map(String);
  } catch (_error) {
    fetchers = [];
  }
  return { epoch, fetchers, perSegment: Math.max(1, Number(fields.perSegment) || 1) };
}

async function quit(client: Redis): Promise<void> {
  try {
    if (client.status === 'ready') await client.quit();
    else client.disconnect();
  } catch (_error) {
    client.disconnect();
  }
}
