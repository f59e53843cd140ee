import {
  encodeTrackerMessage,
  relayedSignal,
  type ClientMessage,
  type PeerInfo,
  type ServerMessage,
} from '@coral-cdn/protocol';
import {
  chooseFetchers,
  DEFAULT_ELECTION_POLICY,
  rankPeers,
  RecentLoad,
  roomId,
  toPeerInfo,
  unreachableByBeacon,
  type Candidate,
  type ElectionPolicy,
  type MemberRecord,
} from '@coral-cdn/tracker-core';
import { cohortCandidateSeats, withStandIns } from './cohort-election.js';
import type { EventClock } from './event-clock.js';
import type { ServerSocket, SocketServer } from './sim-socket.js';
import { SampleSet } from './sample-set.js';

/** The tracker's settings the simulation uses (the tracker's own defaults). */
export interface SimTrackerConfig {
  readonly peersPerAnswer: number;
  readonly matchScanLimit: number;
  readonly holdersPerNeed: number;
  readonly recentInAnswer: number;
  readonly maxHavePerPeer: number;
  readonly election: ElectionPolicy;
  readonly electionDebounceMs: number;
  readonly heartbeatMs: number;
}

export const defaultSimTrackerConfig: SimTrackerConfig = {
  peersPerAnswer: 20,
  matchScanLimit: 64,
  holdersPerNeed: 16,
  recentInAnswer: 16,
  maxHavePerPeer: 1024,
  // The tracker's defaults, except that the simulator takes announced upload at its word.
  election: { ...DEFAULT_ELECTION_POLICY, minServedGroups: 0 },
  electionDebounceMs: 100,
  heartbeatMs: 30_000,
};

interface Member {
  record: MemberRecord;
  readonly socket: ServerSocket;
  readonly have: Set<number>;
  /** Newest announcements last (bounded). */
  readonly recent: number[];
}

interface Swarm {
  readonly id: string;
  readonly members: Map<string, Member>;
  readonly order: SampleSet;
  /** Holders by sequence (may name members that left or lost it: checked on use). */
  readonly holders: Map<number, SampleSet>;
  live: boolean;
  epoch: number;
  fetchers: string[];
  perSegment: number;
  electionTimer: { atMs: number; id: unknown } | null;
}

/**
 * The tracker of the simulation: the real matching and election rules of the tracker
 * (`@coral-cdn/tracker-core`) behind the real wire protocol, with the orchestration of one
 * memory-store node. Messages from engines are parsed as JSON and trusted (the schema checks,
 * rate limits and reports of the real tracker are not modelled; engines send valid messages).
 */
export class SimTracker implements SocketServer {
  readonly swarms = new Map<string, Swarm>();
  private readonly load = new RecentLoad(10_000);
  private nextPeer = 1;
  /** Messages received and sent, for messages-per-second figures. */
  messagesIn = 0;
  messagesOut = 0;

  constructor(
    private readonly clock: EventClock,
    private readonly random: () => number,
    private readonly config: SimTrackerConfig = defaultSimTrackerConfig,
    /** Cohort runs: audience viewers per cohort viewer (see `cohort-election.ts`); 1: none. */
    private readonly cohortWeight = 1,
  ) {}

  accept(socket: ServerSocket): void {
    const peerId = `peer-${(this.nextPeer++).toString(36).padStart(6, '0')}`;
    const joined = new Set<string>();
    socket.onmessage = (text) => {
      this.messagesIn++;
      let message: ClientMessage;
      try {
        message = JSON.parse(text) as ClientMessage;
      } catch {
        return;
      }
      this.handle(socket, peerId, joined, message);
    };
    socket.onclose = () => {
      for (const swarmId of joined) this.removeMember(swarmId, peerId);
      joined.clear();
    };
  }

  members(swarmId: string): number {
    return this.swarms.get(swarmId)?.members.size ?? 0;
  }

  private handle(
    socket: ServerSocket,
    peerId: string,
    joined: Set<string>,
    message: ClientMessage,
  ): void {
    switch (message.type) {
      case 'join': {
        const swarm = this.swarm(message.swarmId);
        const record: MemberRecord = {
          peerId,
          // One room per swarm: every simulated engine speaks the same peer protocol.
          swarmId: roomId(message.swarmId, message.peerProtocol ?? 1),
          nodeId: 'sim',
          viewerId: peerId,
          region: message.region,
          uploadKbps: message.uploadKbps,
          connectionType: message.connectionType,
          live: message.live,
          joinedAtMs: this.clock.now(),
        };
        const member: Member = { record, socket, have: new Set(), recent: [] };
        swarm.members.set(peerId, member);
        swarm.order.add(peerId);
        joined.add(message.swarmId);
        this.addHave(swarm, member, message.have);
        this.send(socket, {
          type: 'joined',
          v: 1,
          swarmId: message.swarmId,
          peerId,
          heartbeatMs: this.config.heartbeatMs,
        });
        if (message.live) {
          swarm.live = true;
          if (swarm.epoch > 0) this.sendElection(swarm, member);
          this.scheduleElection(swarm, swarm.epoch === 0 ? 0 : this.config.electionDebounceMs);
        }
        return;
      }
      case 'leave':
        joined.delete(message.swarmId);
        this.removeMember(message.swarmId, peerId);
        return;
      case 'have': {
        const swarm = this.swarms.get(message.swarmId);
        const member = swarm?.members.get(peerId);
        if (!swarm || !member) return;
        this.addHave(swarm, member, message.added);
        for (const sequence of message.lost) member.have.delete(sequence);
        return;
      }
      case 'get-peers':
        this.answerPeers(socket, peerId, message.swarmId, message.need, message.max);
        return;
      case 'signal': {
        const target = this.swarms.get(message.swarmId)?.members.get(message.to);
        if (!target) {
          this.send(socket, {
            type: 'error',
            code: 'unknown_peer',
            message: message.to,
            ref: 'signal',
          });
          return;
        }
        const sender = this.swarms.get(message.swarmId)?.members.get(peerId);
        const uploadKbps = sender?.record.uploadKbps ?? 0;
        this.send(
          target.socket,
          relayedSignal(message.swarmId, peerId, message.signal, uploadKbps),
        );
        return;
      }
      case 'ping':
        this.send(socket, { type: 'pong' });
        return;
      case 'beacon':
        this.noteReachability(message.swarmId, peerId, unreachableByBeacon(message.stats));
        return;
      case 'report':
        return;
    }
  }

  /** As the tracker: a member whose connections all failed is left out of the election. */
  private noteReachability(swarmId: string, peerId: string, unreachable: boolean): void {
    const swarm = this.swarms.get(swarmId);
    const member = swarm?.members.get(peerId);
    if (!swarm || !member || (member.record.unreachable ?? false) === unreachable) return;
    member.record = { ...member.record, unreachable };
    if (swarm.live) this.scheduleElection(swarm, this.config.electionDebounceMs);
  }

  private swarm(swarmId: string): Swarm {
    let swarm = this.swarms.get(swarmId);
    if (!swarm) {
      swarm = {
        id: swarmId,
        members: new Map(),
        order: new SampleSet(),
        holders: new Map(),
        live: false,
        epoch: 0,
        fetchers: [],
        perSegment: 1,
        electionTimer: null,
      };
      this.swarms.set(swarmId, swarm);
    }
    return swarm;
  }

  private addHave(swarm: Swarm, member: Member, added: readonly number[]): void {
    const { have, recent } = member;
    for (const sequence of added) {
      if (have.has(sequence)) continue;
      have.add(sequence);
      recent.push(sequence);
      if (recent.length > this.config.recentInAnswer) recent.shift();
      let holders = swarm.holders.get(sequence);
      if (!holders) {
        holders = new SampleSet();
        swarm.holders.set(sequence, holders);
        // Live: sequences far behind the newest are no longer asked for.
        if (swarm.live) swarm.holders.delete(sequence - 64);
      }
      holders.add(member.record.peerId);
    }
    if (have.size > this.config.maxHavePerPeer) {
      const oldest = Math.min(...have);
      have.delete(oldest);
    }
  }

  private answerPeers(
    socket: ServerSocket,
    askerId: string,
    swarmId: string,
    need: readonly number[],
    max: number,
  ): void {
    const swarm = this.swarms.get(swarmId);
    const asker = swarm?.members.get(askerId);
    if (!swarm || !asker) return;
    const { config } = this;
    let ids: Iterable<string>;
    if (swarm.members.size <= config.matchScanLimit) ids = swarm.members.keys();
    else {
      const picked = new Set<string>();
      for (const sequence of need) {
        const holders = swarm.holders.get(sequence);
        if (holders)
          for (const id of holders.sample(config.holdersPerNeed, this.random)) picked.add(id);
      }
      for (const id of swarm.order.sample(config.matchScanLimit, this.random)) picked.add(id);
      ids = picked;
    }
    const candidates: Candidate[] = [];
    for (const id of ids) {
      const member = swarm.members.get(id);
      if (!member) continue;
      const held: number[] = [];
      for (const sequence of need) if (member.have.has(sequence)) held.push(sequence);
      candidates.push({ record: member.record, held });
    }
    const nowMs = this.clock.now();
    const chosen = rankPeers(candidates, {
      askerId,
      askerRegion: asker.record.region,
      need,
      max: Math.min(max, config.peersPerAnswer),
      exclude: new Set(),
      recentLoad: (peerId) => this.load.get(peerId, nowMs),
      random: this.random,
    });
    const peers: PeerInfo[] = chosen.map((candidate) =>
      toPeerInfo(candidate, swarm.members.get(candidate.record.peerId)?.recent ?? []),
    );
    for (const peer of peers) this.load.add(peer.peerId, nowMs);
    this.send(socket, { type: 'peers', swarmId, peers });
  }

  private removeMember(swarmId: string, peerId: string): void {
    const swarm = this.swarms.get(swarmId);
    if (!swarm?.members.delete(peerId)) return;
    swarm.order.delete(peerId);
    if (swarm.members.size === 0) {
      if (swarm.electionTimer) this.clock.clearTimeout(swarm.electionTimer.id as never);
      this.swarms.delete(swarmId);
      return;
    }
    if (swarm.live && swarm.fetchers.includes(peerId))
      this.scheduleElection(swarm, this.config.electionDebounceMs);
  }

  private scheduleElection(swarm: Swarm, delayMs: number): void {
    const atMs = this.clock.now() + delayMs;
    if (swarm.electionTimer && swarm.electionTimer.atMs <= atMs) return;
    if (swarm.electionTimer) this.clock.clearTimeout(swarm.electionTimer.id as never);
    const id = this.clock.setTimeout(() => {
      swarm.electionTimer = null;
      this.runElection(swarm);
    }, delayMs);
    swarm.electionTimer = { atMs, id };
  }

  private runElection(swarm: Swarm): void {
    if (swarm.members.size === 0) return;
    const nowMs = this.clock.now();
    const records = [...swarm.members.values()].map((member) => member.record);
    const { election } = this.config;
    const cohort = this.cohortWeight > 1;
    const policy = cohort
      ? { ...election, candidates: cohortCandidateSeats(election.candidates, this.cohortWeight) }
      : election;
    const sitting = cohort ? swarm.fetchers.filter((id) => swarm.members.has(id)) : swarm.fetchers;
    const chosen = chooseFetchers(records, sitting, policy, nowMs);
    const outcome = cohort
      ? {
          ...chosen,
          fetchers: withStandIns(chosen.fetchers, election.candidates),
          perSegment: Math.max(1, Math.min(election.perSegment, election.candidates)),
        }
      : chosen;
    // At least 1 ms on: simulated times are fractional, and a recheck due "now" may find the
    // member still a hair too young.
    if (outcome.recheckAtMs !== null)
      this.scheduleElection(swarm, Math.max(1, outcome.recheckAtMs - nowMs));
    const same =
      swarm.epoch > 0 &&
      swarm.perSegment === outcome.perSegment &&
      swarm.fetchers.length === outcome.fetchers.length &&
      swarm.fetchers.every((id, i) => id === outcome.fetchers[i]);
    if (same) return;
    swarm.epoch++;
    swarm.fetchers = [...outcome.fetchers];
    swarm.perSegment = outcome.perSegment;
    for (const member of swarm.members.values())
      if (member.record.live) this.sendElection(swarm, member);
  }

  private sendElection(swarm: Swarm, member: Member): void {
    this.send(member.socket, {
      type: 'election',
      swarmId: swarm.id,
      epoch: swarm.epoch,
      fetchers: swarm.fetchers,
      perSegment: swarm.perSegment,
    });
  }

  private send(socket: ServerSocket, message: ServerMessage): void {
    this.messagesOut++;
    socket.send(encodeTrackerMessage(message));
  }
}
