import type { ConnectionType } from '@coral-cdn/protocol';
import type { RoomId } from './rooms.js';

/** One peer's membership of one room (rooms.ts), as every tracker node sees it. */
export interface MemberRecord {
  readonly peerId: string;
  /** The room: for peer protocol 1 the swarm id itself. */
  readonly swarmId: RoomId;
  /** The tracker node holding the peer's WebSocket. */
  readonly nodeId: string;
  /** Viewer id (`sub` of the token): reports and bans count viewers, not connections. */
  readonly viewerId: string;
  readonly region: string;
  readonly uploadKbps: number;
  readonly connectionType: ConnectionType;
  readonly live: boolean;
  readonly joinedAtMs: number;
  /** The member's address block (addressGroup): live fetcher seats are spread across them. */
  readonly addressGroup?: string;
  /**
   * Distinct other address groups whose connection offers this member answered through the
   * tracker's relay: upload the tracker saw, not just claimed (the election's "verified").
   */
  readonly servedGroups?: number;
  /**
   * The member's beacons say it tried peer connections and none opened (a viewer behind a
   * UDP-blocking or symmetric NAT without TURN): followers could not reach it as a fetcher.
   */
  readonly unreachable?: boolean;
}

/** A member sampled for a get-peers answer, with what it holds that matters to the asker. */
export interface Candidate {
  readonly record: MemberRecord;
  /** Sequences among the asker's `need` that it holds. */
  readonly held: readonly number[];
}

/** A room's live fetch election as stored. */
export interface ElectionState {
  readonly epoch: number;
  /** Sorted ascending, so that equal sets compare equal. */
  readonly fetchers: readonly string[];
  readonly perSegment: number;
}
