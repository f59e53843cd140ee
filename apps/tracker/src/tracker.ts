import {
  isSupportedTrackerVersion,
  parseSwarmId,
  TRACKER_PROTOCOL_VERSION,
  type BeaconMessage,
  type ClientMessage,
  type ElectionMessage,
  type GetPeersMessage,
  type HaveMessage,
  type JoinMessage,
  type ServerSignalMessage,
  type TrackerErrorCode,
} from '@coral-cdn/protocol';
import type { Logger } from '@coral-cdn/server-kit';
import {
  addressGroup,
  DEFAULT_PEER_PROTOCOL,
  RelayGuard,
  roomId,
  roomSwarmId,
  type MemberRecord,
  type RoomId,
} from '@coral-cdn/tracker-core';
import type { WebSocket } from 'ws';
import { recordBeacon, type BeaconMemory } from './beacons.js';
import { handleClusterEvent } from './cluster-events.js';
import type { FailOptions, GoneReason, TrackerContext, TrackerDeps } from './context.js';
import { Elections } from './elections.js';
import { TokenError } from './errors.js';
import { readFrame } from './frames.js';
import { MessageRate } from './message-rate.js';
import { newMembership, PeerSession, remember } from './peer-session.js';
import {
  CLOSE_GOING_AWAY,
  CLOSE_HEARTBEAT_TIMEOUT,
  CLOSE_TRY_AGAIN_LATER,
  failSession,
} from './protocol-errors.js';
import { PeerQuery } from './peer-query.js';
import { ReportHandler } from './report-handler.js';
import { noteReachability } from './reachability.js';
import { relaySignal } from './signalling.js';

export type { TrackerDeps } from './context.js';

/**
 * The tracker's protocol logic: one PeerSession per WebSocket, swarm memberships in the
 * store, matching, the signalling relay, reports and bans, and the live election.
 */
export class Tracker implements TrackerContext {
  readonly sessions = new Map<string, PeerSession>();
  /** This node's members per room (a swarm's members of one peer protocol: rooms.ts). */
  readonly localSwarms = new Map<RoomId, Set<PeerSession>>();
  readonly relay: RelayGuard;
  readonly elections: Elections;
  readonly now: () => number;
  readonly log: Logger;
  private readonly peerQuery: PeerQuery;
  private readonly reports: ReportHandler;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly messageRate = new MessageRate();
  private maintenanceRunning = false;
  private destroyed = false;

  constructor(readonly deps: TrackerDeps) {
    this.now = deps.now ?? Date.now;
    this.peerQuery = new PeerQuery(deps, this.now, deps.random ?? Math.random);
    this.log = deps.logger;
    this.relay = new RelayGuard({
      offerTimeoutMs: deps.config.OFFER_TIMEOUT_MS,
      candidateWindowMs: deps.config.CANDIDATE_WINDOW_MS,
      maxPendingOffersPerPeer: deps.config.MAX_PENDING_OFFERS_PER_PEER,
    });
    this.elections = new Elections({
      store: deps.store,
      nodeId: deps.nodeId,
      policy: {
        candidates: deps.config.LIVE_FETCHER_CANDIDATES,
        perSegment: deps.config.LIVE_FETCHERS_PER_SEGMENT,
        minAgeMs: deps.config.LIVE_FETCHER_MIN_AGE_MS,
        minUploadKbps: deps.config.LIVE_FETCHER_MIN_UPLOAD_KBPS,
        preferredUploadKbps: deps.config.LIVE_FETCHER_PREFERRED_UPLOAD_KBPS,
        minServedGroups: deps.config.LIVE_FETCHER_MIN_SERVED_GROUPS,
        uploadShareOfBest: deps.config.LIVE_FETCHER_UPLOAD_PERCENT_OF_BEST / 100,
        bestUploadCapKbps: deps.config.LIVE_FETCHER_BEST_UPLOAD_CAP_KBPS,
      },
      now: this.now,
      logger: deps.logger,
      metrics: deps.metrics,
      localMembers: (room) => this.localSwarms.get(room) ?? new Set(),
    });
    this.reports = new ReportHandler(this);
    deps.store.onEvent((event) => handleClusterEvent(this, event));
    deps.store.onRecovered(() => {
      for (const swarmId of this.localSwarms.keys()) this.elections.schedule(swarmId, 0, true);
    });
  }

  /** Start the heartbeat and maintenance timers. */
  start(): void {
    const heartbeatMs = this.deps.config.HEARTBEAT_MS;
    this.timers.push(setInterval(() => this.checkHeartbeats(), Math.min(1000, heartbeatMs / 4)));
    this.timers.push(setInterval(() => void this.maintain(), Math.max(250, heartbeatMs / 3)));
    for (const timer of this.timers) timer.unref();
  }

  // ---- connections ------------------------------------------------------------------------

  openSession(socket: WebSocket, ip: string): PeerSession {
    const { config, metrics } = this.deps;
    const session = new PeerSession(
      socket,
      ip,
      {
        messagesPerSec: config.MESSAGES_PER_SEC,
        burst: config.MESSAGES_BURST ?? config.MESSAGES_PER_SEC * 2,
        maxStrikes: config.MAX_STRIKES,
      },
      this.now(),
      (type) => metrics.messagesSent.inc({ type }),
    );
    this.sessions.set(session.peerId, session);
    socket.on('message', (data, isBinary) => this.onFrame(session, data as Buffer, isBinary));
    socket.on('close', () => this.onClose(session, 'left'));
    socket.on('error', (error) =>
      this.log.debug('socket error', { peerId: session.peerId, err: error }),
    );
    return session;
  }

  private onClose(session: PeerSession, reason: GoneReason): void {
    if (session.closed) return;
    session.closed = true;
    this.sessions.delete(session.peerId);
    this.relay.forgetPeer(session.peerId);
    this.deps.metrics.disconnects.inc({ reason });
    const rooms = [...session.memberships.keys()];
    session.queue = session.queue
      .then(() => Promise.all(rooms.map((room) => this.removeMembership(session, room, reason))))
      .then(
        () => undefined,
        (error: unknown) => this.log.error('cleanup after close failed', { err: error }),
      );
  }

  private onFrame(session: PeerSession, data: Buffer, isBinary: boolean): void {
    if (session.closed || session.closing) return;
    const nowMs = this.now();
    session.lastSeenMs = nowMs;
    this.messageRate.count(nowMs);
    const message = readFrame(this, session, data, isBinary, nowMs);
    if (!message) return;
    if (message.type === 'ping') {
      // Answered at once: a ping measures the tracker, not the queue behind it.
      session.send(message.t === undefined ? { type: 'pong' } : { type: 'pong', t: message.t });
      return;
    }
    session.queue = session.queue
      .then(() => this.dispatch(session, message))
      .catch((error: unknown) => {
        this.log.error('message handling failed', {
          peerId: session.peerId,
          type: message.type,
          err: error,
        });
        this.fail(session, 'internal', 'the tracker failed to handle this message', message.type);
      });
  }

  private async dispatch(session: PeerSession, message: ClientMessage): Promise<void> {
    if (session.closed) return;
    switch (message.type) {
      case 'join':
        return this.onJoin(session, message);
      case 'leave': {
        const room = this.roomOf(session, message.swarmId);
        if (!session.memberships.has(room)) {
          return this.notJoined(session, message.swarmId, 'leave');
        }
        return this.removeMembership(session, room, 'left');
      }
      case 'have':
        return this.onHave(session, message);
      case 'get-peers':
        return this.onGetPeers(session, message);
      case 'signal':
        return relaySignal(this, session, message);
      case 'report':
        return this.reports.onReport(session, message);
      case 'beacon':
        return this.onBeacon(session, message);
      case 'ping':
        return;
    }
  }

  fail(
    session: PeerSession,
    code: TrackerErrorCode,
    message: string,
    ref?: string,
    options?: FailOptions,
  ): void {
    failSession(this, session, code, message, ref, options);
  }

  private notJoined(session: PeerSession, swarmId: string, ref: string): void {
    this.fail(session, 'not_joined', `not a member of swarm ${swarmId}`, ref, { quiet: true });
  }

  /** The room a message about `swarmId` concerns: the one of this connection's peer protocol. */
  roomOf(session: PeerSession, swarmId: string): RoomId {
    return roomId(swarmId, session.peerProtocol ?? DEFAULT_PEER_PROTOCOL);
  }

  // ---- join / leave -----------------------------------------------------------------------

  private async onJoin(session: PeerSession, message: JoinMessage): Promise<void> {
    const { config, store } = this.deps;
    if (!isSupportedTrackerVersion(message.v)) {
      return this.fail(
        session,
        'unsupported_version',
        `protocol version ${message.v} is not supported; this tracker speaks ${TRACKER_PROTOCOL_VERSION}`,
        'join',
      );
    }
    const swarm = parseSwarmId(message.swarmId);
    if (!swarm.ok) return this.fail(session, 'bad_message', swarm.error.message, 'join');
    const peerProtocol = message.peerProtocol ?? DEFAULT_PEER_PROTOCOL;
    if (session.peerProtocol !== null && session.peerProtocol !== peerProtocol) {
      return this.fail(
        session,
        'bad_message',
        `this connection joined with peer protocol ${session.peerProtocol}, not ${peerProtocol}; a connection speaks one`,
        'join',
      );
    }
    const { streamId } = swarm.value;
    let viewerId: string;
    try {
      const verified = await this.deps.verifier.verify(message.token);
      if (verified.claims.stream !== streamId) {
        return this.fail(
          session,
          'forbidden_swarm',
          `the token admits stream ${verified.claims.stream}, not ${streamId}`,
          'join',
        );
      }
      viewerId = verified.claims.sub;
    } catch (error) {
      if (error instanceof TokenError) return this.fail(session, error.code, error.message, 'join');
      throw error;
    }
    if (session.viewerId !== null && session.viewerId !== viewerId) {
      return this.fail(
        session,
        'unauthorized',
        'a connection joins as one viewer; open another connection for another token subject',
        'join',
      );
    }
    if (await store.isBanned(message.swarmId, viewerId)) {
      return this.fail(session, 'banned', `banned from swarm ${message.swarmId}`, 'join');
    }
    const room = roomId(message.swarmId, peerProtocol);
    const previous = session.memberships.get(room);
    if (!previous && session.memberships.size >= config.MAX_SWARMS_PER_CONNECTION) {
      return this.fail(
        session,
        'rate_limited',
        `a connection may join at most ${config.MAX_SWARMS_PER_CONNECTION} swarms`,
        'join',
      );
    }
    if (!previous && this.deps.memoryGuard?.full()) {
      return this.fail(
        session,
        'internal',
        'tracker at memory capacity: not taking new members; retry later or on another node',
        'join',
        { fatal: true, closeCode: CLOSE_TRY_AGAIN_LATER },
      );
    }
    if (session.closed) return;
    session.viewerId = viewerId;
    session.peerProtocol = peerProtocol;
    const record: MemberRecord = {
      peerId: session.peerId,
      swarmId: room,
      nodeId: this.deps.nodeId,
      viewerId,
      region: message.region,
      uploadKbps: message.uploadKbps,
      connectionType: message.connectionType,
      live: message.live,
      // A re-join (e.g. new capacity figures) keeps the seniority the election looks at.
      joinedAtMs: previous?.record.joinedAtMs ?? this.now(),
      addressGroup: addressGroup(session.ip),
      servedGroups: previous?.served.size ?? 0,
    };
    const membership = newMembership(record, streamId, this.now());
    if (previous) {
      for (const peerId of previous.known) membership.known.add(peerId);
      for (const peerId of previous.reported) membership.reported.add(peerId);
      for (const peerId of previous.contacts) membership.contacts.add(peerId);
      for (const group of previous.served) membership.served.add(group);
      membership.electionEpoch = previous.electionEpoch;
    }
    session.memberships.set(room, membership);
    let local = this.localSwarms.get(room);
    if (!local) {
      local = new Set();
      this.localSwarms.set(room, local);
    }
    local.add(session);
    await store.join(record, message.have);
    session.send({
      type: 'joined',
      v: TRACKER_PROTOCOL_VERSION,
      swarmId: message.swarmId,
      peerId: session.peerId,
      heartbeatMs: config.HEARTBEAT_MS,
    });
    if (record.live || previous?.record.live) await this.elections.onJoin(room, session);
  }

  /** Remove one membership (leave, close, timeout, ban) and tell those who knew the peer. */
  async removeMembership(session: PeerSession, room: RoomId, reason: GoneReason): Promise<void> {
    const membership = session.memberships.get(room);
    if (!membership) return;
    session.memberships.delete(room);
    const local = this.localSwarms.get(room);
    local?.delete(session);
    if (local?.size === 0) this.localSwarms.delete(room);
    this.relay.forgetPeer(session.peerId, room);
    const removed = await this.deps.store.leave(room, session.peerId);
    if (removed) await this.announceGone(room, session.peerId, reason);
    if (membership.record.live) this.elections.schedule(room);
  }

  async announceGone(room: RoomId, peerId: string, reason: GoneReason): Promise<void> {
    this.deliverGone(room, peerId, reason);
    await this.deps.store.publish({ kind: 'peer-gone', swarmId: room, peerId, reason });
  }

  /**
   * Tell this node's members that were introduced to `peerId` that it is gone; a ban goes to
   * every member of the swarm (rare, and nobody should keep a link to that peer).
   */
  deliverGone(room: RoomId, peerId: string, reason: GoneReason): void {
    const swarmId = roomSwarmId(room);
    for (const session of this.localSwarms.get(room) ?? []) {
      const membership = session.memberships.get(room);
      if (!membership || session.peerId === peerId) continue;
      const knew = membership.known.delete(peerId);
      if (knew || reason === 'banned') {
        session.send({ type: 'peer-gone', swarmId, peerId, reason });
      }
    }
  }

  // ---- availability and matching -------------------------------------------------------------

  private async onHave(session: PeerSession, message: HaveMessage): Promise<void> {
    const room = this.roomOf(session, message.swarmId);
    if (!session.memberships.has(room)) {
      return this.notJoined(session, message.swarmId, 'have');
    }
    await this.deps.store.updateHave(room, session.peerId, message.added, message.lost);
  }

  private async onGetPeers(session: PeerSession, message: GetPeersMessage): Promise<void> {
    const room = this.roomOf(session, message.swarmId);
    const membership = session.memberships.get(room);
    if (!membership) return this.notJoined(session, message.swarmId, 'get-peers');
    await this.peerQuery.answer(session, room, membership, message);
  }

  deliverSignal(
    target: PeerSession,
    room: RoomId,
    message: ServerSignalMessage,
    receivedAtMs: number,
    path: 'local' | 'cluster',
  ): void {
    const membership = target.memberships.get(room);
    if (!membership) return;
    remember(membership.known, message.from);
    if (message.signal.kind === 'answer') remember(membership.contacts, message.from);
    target.send(message);
    this.deps.metrics.relayLatency.observe({ path }, Math.max(0, this.now() - receivedAtMs) / 1000);
  }

  private async onBeacon(session: PeerSession, message: BeaconMessage): Promise<void> {
    const room = this.roomOf(session, message.swarmId);
    const membership = session.memberships.get(room);
    if (!membership) return this.notJoined(session, message.swarmId, 'beacon');
    const { config } = this.deps;
    recordBeacon(membership.beacon, message.stats, this.deps.metrics, this.now(), {
      bytesPerSec: config.BEACON_MAX_MBPS * 125_000,
      eventsPerSec: config.BEACON_MAX_EVENTS_PER_SEC,
    });
    await noteReachability(this, membership, room, message.stats);
  }

  // ---- maintenance ----------------------------------------------------------------------------

  private checkHeartbeats(): void {
    const cutoff = this.now() - this.deps.config.HEARTBEAT_MS;
    for (const session of this.sessions.values()) {
      if (session.lastSeenMs < cutoff) {
        this.log.info('heartbeat timeout', { peerId: session.peerId });
        session.close(CLOSE_HEARTBEAT_TIMEOUT, 'heartbeat timeout');
        this.onClose(session, 'timeout');
      }
    }
  }

  /** Refresh this node's memberships in the store, sweep expired ones, trim tables. */
  async maintain(): Promise<void> {
    if (this.maintenanceRunning || this.destroyed) return;
    this.maintenanceRunning = true;
    try {
      const nowMs = this.now();
      const alive: Array<{ swarmId: RoomId; peerId: string }> = [];
      for (const [room, sessions] of this.localSwarms) {
        for (const session of sessions) alive.push({ swarmId: room, peerId: session.peerId });
      }
      await this.deps.store.touch(alive, nowMs);
      const expired = await this.deps.store.sweepExpired(nowMs, this.deps.config.HEARTBEAT_MS * 2);
      for (const gone of expired) {
        this.log.info('membership expired', { ...gone });
        await this.announceGone(gone.swarmId, gone.peerId, 'timeout');
        this.elections.schedule(gone.swarmId);
      }
      this.relay.sweep(nowMs);
      this.reports.sweep(nowMs);
      this.peerQuery.sweep(nowMs);
    } catch (error) {
      this.log.error('maintenance failed', { err: error });
    } finally {
      this.maintenanceRunning = false;
    }
  }

  /** Client messages per second over the last nine full seconds. */
  messagesPerSec(): number {
    return this.messageRate.perSec(this.now());
  }

  localPeerCount(): number {
    let count = 0;
    for (const sessions of this.localSwarms.values()) count += sessions.size;
    return count;
  }

  /** What this node's members' beacons said so far: of one room, or of every room. */
  beaconsOf(room?: RoomId): BeaconMemory[] {
    const memories: BeaconMemory[] = [];
    const rooms = room === undefined ? [...this.localSwarms.keys()] : [room];
    for (const key of rooms) {
      for (const session of this.localSwarms.get(key) ?? []) {
        const membership = session.memberships.get(key);
        if (membership) memories.push(membership.beacon);
      }
    }
    return memories;
  }

  /** The last election this node knows for a room (rooms.ts; version 1's is the swarm id). */
  electionOf(room: RoomId): ElectionMessage | null {
    return this.elections.lastSent(room);
  }

  /**
   * Graceful stop: close every socket with 1001 (clients reconnect, possibly to another
   * node), then deregister this node's memberships so other nodes stop matching them.
   */
  async shutdown(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const timer of this.timers) clearInterval(timer);
    this.elections.destroy();
    const sessions = [...this.sessions.values()];
    for (const session of sessions) {
      session.close(CLOSE_GOING_AWAY, 'tracker shutting down');
      this.onClose(session, 'left');
    }
    await Promise.all(sessions.map((session) => session.queue));
    this.relay.destroy();
  }
}
