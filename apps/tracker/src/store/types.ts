import type { ServerSignalMessage } from '@coral-cdn/protocol';
import type { Candidate, ElectionState, MemberRecord, RoomId } from '@coral-cdn/tracker-core';

export type { Candidate, ElectionState, MemberRecord } from '@coral-cdn/tracker-core';

export interface CandidateQuery {
  readonly need: readonly number[];
  /** Members scored per answer: all of a swarm up to this size, a sample beyond. */
  readonly scanLimit: number;
  /** Holders of each needed sequence added to the sample (large swarms). */
  readonly holdersPerNeed: number;
}

export interface RemovedMember {
  readonly swarmId: RoomId;
  readonly peerId: string;
  readonly nodeId: string;
}

export interface SwarmSize {
  readonly swarmId: RoomId;
  readonly peers: number;
}

/**
 * Messages between tracker nodes (Redis pub/sub). `toNode` targets one node; without it the
 * event goes to every other node. The publishing node handles its own part itself.
 */
export type ClusterEvent =
  | {
      readonly kind: 'deliver';
      readonly toNode: string;
      readonly fromNode: string;
      readonly toPeer: string;
      /** The signal to hand to the peer (checked by the sending node, and again on delivery). */
      readonly message: ServerSignalMessage;
      /** Epoch ms when the sending node received the message it relays. */
      readonly sentAtMs: number;
    }
  | {
      readonly kind: 'undeliverable';
      readonly toNode: string;
      readonly toPeer: string;
      readonly swarmId: string;
      readonly missingPeer: string;
    }
  | {
      /** A viewer was banned from a swarm: every node drops its memberships there. */
      readonly kind: 'ban';
      readonly swarmId: string;
      readonly viewerId: string;
    }
  | {
      readonly kind: 'peer-gone';
      readonly swarmId: RoomId;
      readonly peerId: string;
      readonly reason: 'left' | 'banned' | 'timeout';
    }
  | {
      readonly kind: 'election';
      readonly swarmId: RoomId;
      readonly election: ElectionState;
    };

export type StoreKind = 'memory' | 'redis';

export interface StoreStatus {
  readonly kind: StoreKind;
  /** False while the shared store is unreachable and the node matches only its own peers. */
  readonly healthy: boolean;
  readonly degradedSinceMs: number | null;
  readonly lastError: string | null;
}

/**
 * Where swarm state lives. The memory store is one node's; the Redis store shares swarms
 * between nodes and falls back to this node's own peers while Redis is down. Every method
 * resolves (never rejects) in the Redis store during an outage: degraded, not broken.
 */
export interface SwarmStore {
  readonly kind: StoreKind;
  status(): StoreStatus;
  /** Add or replace a membership; `have` replaces what the peer held. */
  join(record: MemberRecord, have: readonly number[]): Promise<void>;
  /** Replace a member's record, keeping its holdings; false when it is not a member. */
  updateMember(record: MemberRecord): Promise<boolean>;
  /** Remove a membership; false when it was not there (already gone). */
  leave(swarmId: RoomId, peerId: string): Promise<boolean>;
  /** Apply an availability delta; false when the peer is not a member. */
  updateHave(
    swarmId: RoomId,
    peerId: string,
    added: readonly number[],
    lost: readonly number[],
  ): Promise<boolean>;
  getMember(swarmId: RoomId, peerId: string): Promise<MemberRecord | null>;
  listMembers(swarmId: RoomId): Promise<MemberRecord[]>;
  /** Members worth scoring for an answer (the asker is not excluded here). */
  candidates(swarmId: RoomId, query: CandidateQuery): Promise<Candidate[]>;
  /** The `count` sequences each peer announced most recently (newest first), for answers. */
  recentHoldings(
    swarmId: RoomId,
    peerIds: readonly string[],
    count: number,
  ): Promise<Map<string, number[]>>;
  /** Mark memberships alive (heartbeat). */
  touch(members: ReadonlyArray<{ swarmId: RoomId; peerId: string }>, nowMs: number): Promise<void>;
  /** Remove memberships not touched since `nowMs - ttlMs`, and return them. */
  sweepExpired(nowMs: number, ttlMs: number): Promise<RemovedMember[]>;
  /**
   * Record that `reporter` (a key: the tracker uses the reporter's address block) reported
   * `targetViewer` in `scope` (a swarm); returns the distinct reporters within the window.
   */
  addReport(
    scope: string,
    targetViewer: string,
    reporter: string,
    windowMs: number,
  ): Promise<number>;
  ban(scope: string, viewerId: string, durationMs: number): Promise<void>;
  isBanned(scope: string, viewerId: string): Promise<boolean>;
  /** Members of a room (cluster-wide; this node's only while degraded). */
  memberCount(swarmId: RoomId): Promise<number>;
  getElection(swarmId: RoomId): Promise<ElectionState | null>;
  /** Store `next` only if the current epoch is `expectedEpoch` (0: none yet). */
  compareAndSetElection(
    swarmId: RoomId,
    expectedEpoch: number,
    next: ElectionState,
  ): Promise<boolean>;
  /** Largest swarms first. */
  swarmSizes(limit: number): Promise<{ swarms: number; peers: number; top: SwarmSize[] }>;
  /** Send an event to other nodes (no-op for the memory store). */
  publish(event: ClusterEvent): Promise<void>;
  onEvent(handler: (event: ClusterEvent) => void): void;
  /** Called after the store re-registered this node's peers following an outage. */
  onRecovered(handler: () => void): void;
  destroy(): Promise<void>;
}
