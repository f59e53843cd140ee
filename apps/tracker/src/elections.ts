import type { ElectionMessage } from '@coral-cdn/protocol';
import type { Logger } from '@coral-cdn/server-kit';
import {
  chooseFetchers,
  roomSwarmId,
  sameElection,
  type ElectionPolicy,
  type ElectionState,
  type RoomId,
} from '@coral-cdn/tracker-core';
import type { TrackerMetrics } from './metrics.js';
import type { PeerSession } from './peer-session.js';
import type { SwarmStore } from './store/types.js';

/** Membership changes within this window are folded into one election. */
export const ELECTION_DEBOUNCE_MS = 100;

export interface ElectionsDeps {
  readonly store: SwarmStore;
  readonly nodeId: string;
  readonly policy: ElectionPolicy;
  readonly now: () => number;
  readonly logger: Logger;
  readonly metrics: TrackerMetrics;
  readonly localMembers: (room: RoomId) => ReadonlySet<PeerSession>;
}

/**
 * Runs live elections, one per room (the `swarmId` parameters below are rooms, rooms.ts):
 * recomputes a swarm's fetchers after membership changes (debounced),
 * stores a changed result under a new epoch (compare-and-set, so that concurrent nodes
 * agree on one), and sends it to this node's live members; other nodes get it as an event.
 */
export class Elections {
  private readonly timers = new Map<RoomId, { atMs: number; timer: NodeJS.Timeout }>();
  private readonly running = new Set<RoomId>();
  private readonly rerun = new Map<RoomId, boolean>();
  /** Newest election this node knows per swarm: epochs continue from it (also across outages). */
  private readonly known = new Map<RoomId, ElectionState>();
  private destroyed = false;

  constructor(private readonly deps: ElectionsDeps) {}

  /** A live member joined: send it the current election, computing the first if needed. */
  async onJoin(swarmId: RoomId, session: PeerSession): Promise<void> {
    const current = await this.deps.store.getElection(swarmId);
    if (current) {
      this.note(swarmId, current);
      this.sendTo(session, swarmId, current);
      this.schedule(swarmId);
    } else {
      await this.run(swarmId, false);
    }
  }

  /** Recompute soon (membership changed); `force` bumps the epoch even if nothing changed. */
  schedule(swarmId: RoomId, delayMs = ELECTION_DEBOUNCE_MS, force = false): void {
    if (this.destroyed) return;
    if (force) this.rerun.set(swarmId, true);
    const atMs = this.deps.now() + delayMs;
    const existing = this.timers.get(swarmId);
    if (existing && existing.atMs <= atMs) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(
      () => {
        this.timers.delete(swarmId);
        const forced = this.rerun.get(swarmId) === true;
        this.rerun.delete(swarmId);
        this.run(swarmId, forced).catch((error: unknown) =>
          this.deps.logger.error('election failed', { swarmId, err: error }),
        );
      },
      Math.max(0, delayMs),
    );
    timer.unref();
    this.timers.set(swarmId, { atMs, timer });
  }

  /** An election decided here or on another node: hand it to local live members. */
  deliver(swarmId: RoomId, election: ElectionState): void {
    this.note(swarmId, election);
    for (const session of this.deps.localMembers(swarmId)) this.sendTo(session, swarmId, election);
  }

  /** Whether a recomputation is scheduled or running for the room. */
  pending(swarmId: RoomId): boolean {
    return this.timers.has(swarmId) || this.running.has(swarmId);
  }

  lastSent(swarmId: RoomId): ElectionMessage | null {
    const election = this.known.get(swarmId);
    return election ? toMessage(swarmId, election) : null;
  }

  destroy(): void {
    this.destroyed = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private async run(swarmId: RoomId, force: boolean): Promise<void> {
    if (this.running.has(swarmId)) {
      this.rerun.set(swarmId, force || this.rerun.get(swarmId) === true);
      return;
    }
    this.running.add(swarmId);
    try {
      const { store, policy } = this.deps;
      for (let attempt = 0; attempt < 4 && !this.destroyed; attempt++) {
        const [members, current] = await Promise.all([
          store.listMembers(swarmId),
          store.getElection(swarmId),
        ]);
        if (members.length === 0) return;
        const nowMs = this.deps.now();
        const outcome = chooseFetchers(members, current?.fetchers ?? [], policy, nowMs);
        if (outcome.recheckAtMs !== null) this.schedule(swarmId, outcome.recheckAtMs - nowMs);
        if (current && !(force && attempt === 0) && sameElection(current, outcome)) {
          this.deliver(swarmId, current);
          return;
        }
        const epoch = Math.max(current?.epoch ?? 0, this.known.get(swarmId)?.epoch ?? 0) + 1;
        const next: ElectionState = {
          epoch,
          fetchers: outcome.fetchers,
          perSegment: outcome.perSegment,
        };
        if (await store.compareAndSetElection(swarmId, current?.epoch ?? 0, next)) {
          this.deps.metrics.elections.inc();
          this.deps.logger.debug('election', { swarmId, ...next });
          this.deliver(swarmId, next);
          await store.publish({ kind: 'election', swarmId, election: next });
          return;
        }
        // Another node decided first: look again.
      }
    } finally {
      this.running.delete(swarmId);
      const again = this.rerun.get(swarmId);
      if (again !== undefined && !this.timers.has(swarmId)) {
        this.rerun.delete(swarmId);
        this.schedule(swarmId, 0, again);
      }
    }
  }

  private note(swarmId: RoomId, election: ElectionState): void {
    const known = this.known.get(swarmId);
    if (!known || election.epoch > known.epoch) this.known.set(swarmId, election);
    if (this.deps.localMembers(swarmId).size === 0 && !this.timers.has(swarmId)) {
      this.known.delete(swarmId);
    }
  }

  private sendTo(session: PeerSession, swarmId: RoomId, election: ElectionState): void {
    const membership = session.memberships.get(swarmId);
    if (!membership?.record.live || election.epoch <= membership.electionEpoch) return;
    membership.electionEpoch = election.epoch;
    session.send(toMessage(swarmId, election));
  }
}

/** Elections run per room (rooms.ts); the message names the swarm. */
function toMessage(room: RoomId, election: ElectionState): ElectionMessage {
  return {
    type: 'election',
    swarmId: roomSwarmId(room),
    epoch: election.epoch,
    fetchers: [...election.fetchers],
    perSegment: election.perSegment,
  };
}
