import type { ServerSignalMessage, TrackerErrorCode } from '@coral-cdn/protocol';
import type { Logger } from '@coral-cdn/server-kit';
import type { RelayGuard, RoomId } from '@coral-cdn/tracker-core';
import type { TokenVerifier } from './auth/token-verifier.js';
import type { TrackerConfig } from './config.js';
import type { Elections } from './elections.js';
import type { MemoryGuard } from './limits/memory-guard.js';
import type { TrackerMetrics } from './metrics.js';
import type { PeerSession } from './peer-session.js';
import type { SwarmStore } from './store/types.js';

export interface TrackerDeps {
  readonly config: TrackerConfig;
  readonly nodeId: string;
  readonly store: SwarmStore;
  readonly verifier: TokenVerifier;
  readonly logger: Logger;
  readonly metrics: TrackerMetrics;
  readonly now?: () => number;
  readonly random?: () => number;
  /** Refuses new members while the heap is too full (absent: never). */
  readonly memoryGuard?: MemoryGuard;
}

export type GoneReason = 'left' | 'banned' | 'timeout';

export interface FailOptions {
  readonly fatal?: boolean;
  readonly closeCode?: number;
  readonly quiet?: boolean;
}

/**
 * What the tracker's handlers (frames, reports, cluster events) share: its tables and the
 * few operations that change them. The Tracker class is the one implementation.
 */
export interface TrackerContext {
  readonly deps: TrackerDeps;
  readonly log: Logger;
  readonly sessions: ReadonlyMap<string, PeerSession>;
  readonly localSwarms: ReadonlyMap<RoomId, ReadonlySet<PeerSession>>;
  readonly relay: RelayGuard;
  readonly elections: Elections;
  now(): number;
  /** Send a protocol error, count a strike where due, close when fatal (protocol-errors.ts). */
  fail(
    session: PeerSession,
    code: TrackerErrorCode,
    message: string,
    ref?: string,
    options?: FailOptions,
  ): void;
  /** The room a message about `swarmId` concerns: the one of the connection's peer protocol. */
  roomOf(session: PeerSession, swarmId: string): RoomId;
  removeMembership(session: PeerSession, room: RoomId, reason: GoneReason): Promise<void>;
  announceGone(room: RoomId, peerId: string, reason: GoneReason): Promise<void>;
  deliverGone(room: RoomId, peerId: string, reason: GoneReason): void;
  deliverSignal(
    target: PeerSession,
    room: RoomId,
    message: ServerSignalMessage,
    receivedAtMs: number,
    path: 'local' | 'cluster',
  ): void;
}
