import { Holdings, type RoomId } from '@coral-cdn/tracker-core';
import { IndexedSet } from './indexed-set.js';
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

/** How many recent additions a member remembers for the `have` of peer answers. */
export const RECENT_RING = 32;
/**
 * In a swarm larger than the scan limit, holders of needed sequences are looked for among
 * this many times `scanLimit` members (from a random start). There is no per-sequence index:
 * its memory grew with every sequence every peer announced.
 */
export const HOLDER_SCAN_FACTOR = 8;

interface Member {
  record: MemberRecord;
  /** As ranges: memory bounded by the cap, not by the sequences announced. */
  have: Holdings;
  /** The latest additions, newest last (at most 2 × RECENT_RING). */
  recent: number[];
  lastSeenMs: number;
}

interface Swarm {
  readonly members: Map<string, Member>;
  readonly order: IndexedSet<string>;
  election: ElectionState | null;
}

function recentOf(member: Member, count: number): number[] {
  const recent: number[] = [];
  for (let i = member.recent.length - 1; i >= 0 && recent.length < count; i--) {
    const sequence = member.recent[i]!;
    if (member.have.has(sequence) && !recent.includes(sequence)) recent.push(sequence);
  }
  return recent;
}

export interface MemoryStoreOptions {
  maxHavePerPeer: number;
  now?: () => number;
  random?: () => number;
}

/** One node's swarms in process memory. Also the Redis store's copy of its own node's peers. */
export class MemoryStore implements SwarmStore {
  readonly kind = 'memory' as const;
  private readonly swarms = new Map<RoomId, Swarm>();
  private readonly reports = new Map<string, Map<string, number>>();
  private readonly bans = new Map<string, number>();
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly options: MemoryStoreOptions) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  status(): StoreStatus {
    return { kind: 'memory', healthy: true, degradedSinceMs: null, lastError: null };
  }

  async join(record: MemberRecord, have: readonly number[]): Promise<void> {
    this.joinSync(record, have);
  }

  joinSync(record: MemberRecord, have: readonly number[]): void {
    let swarm = this.swarms.get(record.swarmId);
    if (!swarm) {
      swarm = { members: new Map(), order: new IndexedSet(), election: null };
      this.swarms.set(record.swarmId, swarm);
    }
    const member: Member = { record, have: new Holdings(), recent: [], lastSeenMs: this.now() };
    swarm.members.set(record.peerId, member);
    swarm.order.add(record.peerId);
    this.addHoldings(member, have);
  }

  async updateMember(record: MemberRecord): Promise<boolean> {
    return this.updateMemberSync(record);
  }

  updateMemberSync(record: MemberRecord): boolean {
    const member = this.swarms.get(record.swarmId)?.members.get(record.peerId);
    if (!member) return false;
    member.record = record;
    return true;
  }

  async leave(swarmId: RoomId, peerId: string): Promise<boolean> {
    return this.leaveSync(swarmId, peerId);
  }

  leaveSync(swarmId: RoomId, peerId: string): boolean {
    const swarm = this.swarms.get(swarmId);
    const member = swarm?.members.get(peerId);
    if (!swarm || !member) return false;
    swarm.members.delete(peerId);
    swarm.order.delete(peerId);
    if (swarm.members.size === 0) this.swarms.delete(swarmId);
    return true;
  }

  async updateHave(
    swarmId: RoomId,
    peerId: string,
    added: readonly number[],
    lost: readonly number[],
  ): Promise<boolean> {
    return this.updateHaveSync(swarmId, peerId, added, lost);
  }

  updateHaveSync(
    swarmId: RoomId,
    peerId: string,
    added: readonly number[],
    lost: readonly number[],
  ): boolean {
    const swarm = this.swarms.get(swarmId);
    const member = swarm?.members.get(peerId);
    if (!swarm || !member) return false;
    member.have.deleteAll(lost);
    this.addHoldings(member, added);
    return true;
  }

  async getMember(swarmId: RoomId, peerId: string): Promise<MemberRecord | null> {
    return this.getMemberSync(swarmId, peerId);
  }

  getMemberSync(swarmId: RoomId, peerId: string): MemberRecord | null {
    return this.swarms.get(swarmId)?.members.get(peerId)?.record ?? null;
  }

  /** What a member holds, as ranges (null when not a member); the Redis store copies it. */
  holdingsOf(swarmId: RoomId, peerId: string): Holdings | null {
    return this.swarms.get(swarmId)?.members.get(peerId)?.have ?? null;
  }

  /** The latest additions of a member, newest first (for the Redis store's copy). */
  recentAddedOf(swarmId: RoomId, peerId: string): number[] {
    return [...(this.swarms.get(swarmId)?.members.get(peerId)?.recent ?? [])].reverse();
  }

  async listMembers(swarmId: RoomId): Promise<MemberRecord[]> {
    return this.listMembersSync(swarmId);
  }

  async memberCount(swarmId: RoomId): Promise<number> {
    return this.swarms.get(swarmId)?.members.size ?? 0;
  }

  listMembersSync(swarmId: RoomId): MemberRecord[] {
    const swarm = this.swarms.get(swarmId);
    return swarm ? [...swarm.members.values()].map((member) => member.record) : [];
  }

  allMembers(): MemberRecord[] {
    const all: MemberRecord[] = [];
    for (const swarm of this.swarms.values()) {
      for (const member of swarm.members.values()) all.push(member.record);
    }
    return all;
  }

  async candidates(swarmId: RoomId, query: CandidateQuery): Promise<Candidate[]> {
    return this.candidatesSync(swarmId, query);
  }

  candidatesSync(swarmId: RoomId, query: CandidateQuery): Candidate[] {
    const swarm = this.swarms.get(swarmId);
    if (!swarm) return [];
    let ids: Iterable<string>;
    if (swarm.order.size <= query.scanLimit) {
      ids = swarm.order.values();
    } else {
      // Large swarm: holders of what the asker needs, looked for among a bounded stretch of
      // members from a random start, then a uniform sample of everyone.
      const picked = new Set<string>();
      for (const id of this.holdersOf(swarm, query)) picked.add(id);
      for (const id of swarm.order.sample(query.scanLimit, this.random)) picked.add(id);
      ids = picked;
    }
    const result: Candidate[] = [];
    const { need } = query;
    for (const id of ids) {
      const member = swarm.members.get(id);
      if (!member) continue;
      const held: number[] = [];
      for (const sequence of need) if (member.have.has(sequence)) held.push(sequence);
      result.push({ record: member.record, held });
    }
    return result;
  }

  async recentHoldings(
    swarmId: RoomId,
    peerIds: readonly string[],
    count: number,
  ): Promise<Map<string, number[]>> {
    return this.recentHoldingsSync(swarmId, peerIds, count);
  }

  recentHoldingsSync(
    swarmId: RoomId,
    peerIds: readonly string[],
    count: number,
  ): Map<string, number[]> {
    const result = new Map<string, number[]>();
    const swarm = this.swarms.get(swarmId);
    for (const peerId of peerIds) {
      const member = swarm?.members.get(peerId);
      if (member) result.set(peerId, recentOf(member, count));
    }
    return result;
  }

  async touch(
    members: ReadonlyArray<{ swarmId: RoomId; peerId: string }>,
    nowMs: number,
  ): Promise<void> {
    for (const { swarmId, peerId } of members) {
      const member = this.swarms.get(swarmId)?.members.get(peerId);
      if (member) member.lastSeenMs = nowMs;
    }
  }

  async sweepExpired(nowMs: number, ttlMs: number): Promise<RemovedMember[]> {
    const removed: RemovedMember[] = [];
    for (const [swarmId, swarm] of this.swarms) {
      for (const [peerId, member] of swarm.members) {
        if (member.lastSeenMs < nowMs - ttlMs) {
          removed.push({ swarmId, peerId, nodeId: member.record.nodeId });
        }
      }
    }
    for (const { swarmId, peerId } of removed) this.leaveSync(swarmId, peerId);
    for (const [key, reporters] of this.reports) {
      for (const [viewer, expiresAt] of reporters) if (expiresAt <= nowMs) reporters.delete(viewer);
      if (reporters.size === 0) this.reports.delete(key);
    }
    for (const [key, expiresAt] of this.bans) if (expiresAt <= nowMs) this.bans.delete(key);
    return removed;
  }

  async addReport(
    streamId: string,
    targetViewer: string,
    reporterViewer: string,
    windowMs: number,
  ): Promise<number> {
    const key = `${streamId}\u0000${targetViewer}`;
    const now = this.now();
    let reporters = this.reports.get(key);
    if (!reporters) {
      reporters = new Map();
      this.reports.set(key, reporters);
    }
    reporters.set(reporterViewer, now + windowMs);
    let count = 0;
    for (const expiresAt of reporters.values()) if (expiresAt > now) count++;
    return count;
  }

  async ban(streamId: string, viewerId: string, durationMs: number): Promise<void> {
    this.bans.set(`${streamId}\u0000${viewerId}`, this.now() + durationMs);
  }

  async isBanned(streamId: string, viewerId: string): Promise<boolean> {
    const expiresAt = this.bans.get(`${streamId}\u0000${viewerId}`);
    return expiresAt !== undefined && expiresAt > this.now();
  }

  async getElection(swarmId: RoomId): Promise<ElectionState | null> {
    return this.swarms.get(swarmId)?.election ?? null;
  }

  async compareAndSetElection(
    swarmId: RoomId,
    expectedEpoch: number,
    next: ElectionState,
  ): Promise<boolean> {
    return this.compareAndSetElectionSync(swarmId, expectedEpoch, next);
  }

  compareAndSetElectionSync(swarmId: RoomId, expectedEpoch: number, next: ElectionState): boolean {
    const swarm = this.swarms.get(swarmId);
    if (!swarm) return false;
    if ((swarm.election?.epoch ?? 0) !== expectedEpoch) return false;
    swarm.election = next;
    return true;
  }

  async swarmSizes(limit: number): Promise<{ swarms: number; peers: number; top: SwarmSize[] }> {
    let peers = 0;
    const sizes: SwarmSize[] = [];
    for (const [swarmId, swarm] of this.swarms) {
      peers += swarm.members.size;
      sizes.push({ swarmId, peers: swarm.members.size });
    }
    sizes.sort((a, b) => b.peers - a.peers || (a.swarmId < b.swarmId ? -1 : 1));
    return { swarms: this.swarms.size, peers, top: sizes.slice(0, limit) };
  }

  async publish(_event: ClusterEvent): Promise<void> {
    // One node: nobody else to tell.
  }

  onEvent(_handler: (event: ClusterEvent) => void): void {
    // One node: no events from elsewhere.
  }

  onRecovered(_handler: () => void): void {
    // Never degraded.
  }

  async destroy(): Promise<void> {
    this.swarms.clear();
    this.reports.clear();
    this.bans.clear();
  }

  /** Up to `holdersPerNeed` holders of each needed sequence, from a bounded scan. */
  private holdersOf(swarm: Swarm, query: CandidateQuery): string[] {
    const ids = swarm.order.values();
    const found = new Map<number, number>();
    const picked: string[] = [];
    const budget = Math.min(ids.length, query.scanLimit * HOLDER_SCAN_FACTOR);
    const start = Math.floor(this.random() * ids.length);
    const need = [...new Set(query.need)];
    let open = need.length;
    for (let i = 0; i < budget && open > 0; i++) {
      const id = ids[(start + i) % ids.length]!;
      const have = swarm.members.get(id)?.have;
      if (!have) continue;
      let holds = false;
      for (const sequence of need) {
        const count = found.get(sequence) ?? 0;
        if (count >= query.holdersPerNeed || !have.has(sequence)) continue;
        holds = true;
        found.set(sequence, count + 1);
        if (count + 1 === query.holdersPerNeed) open--;
      }
      if (holds) picked.push(id);
    }
    return picked;
  }

  private addHoldings(member: Member, sequences: readonly number[]): void {
    member.have.addAll(sequences);
    member.recent.push(...sequences.slice(-RECENT_RING * 2));
    if (member.recent.length > RECENT_RING * 2) {
      member.recent.splice(0, member.recent.length - RECENT_RING);
    }
    // Past the cap the lowest sequences go: for live, the oldest segments.
    member.have.trimTo(this.options.maxHavePerPeer);
  }
}
