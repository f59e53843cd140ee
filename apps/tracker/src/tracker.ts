import {
  decodeClientMessage,
  isSupportedTrackerVersion,
  parseSwarmId,
  TRACKER_PROTOCOL_VERSION,
  type BeaconMessage,
  type ClientMessage,
  type ClientSignalMessage,
  type ElectionMessage,
  type GetPeersMessage,
  type HaveMessage,
  type JoinMessage,
  type ReportMessage,
  type ServerSignalMessage,
  type TrackerErrorCode,
} from '@coral-cdn/protocol';
import type { Logger } from '@coral-cdn/server-kit';
import type { WebSocket } from 'ws';
import type { TokenVerifier } from './auth/token-verifier.js';
import { recordBeacon } from './beacons.js';
import type { TrackerConfig } from './config.js';
import { Elections } from './elections.js';
import { TokenError } from './errors.js';
import {
  banThreshold,
  DEFAULT_PEER_PROTOCOL,
  judgeReport,
  rankPeers,
  RecentLoad,
  RelayGuard,
  roomId,
  roomSwarmId,
  toPeerInfo,
  type MemberRecord,
  type RoomId,
} from '@coral-cdn/tracker-core';
import type { TrackerMetrics } from './metrics.js';
import { newMembership, PeerSession, remember, rememberReported } from './peer-session.js';
import type { ClusterEvent, SwarmStore } from './store/types.js';

/** Close codes the tracker uses besides the standard ones. */
export const CLOSE_HEARTBEAT_TIMEOUT = 4000;
export const CLOSE_POLICY_VIOLATION = 1008;
export const CLOSE_TOO_LARGE = 1009;
export const CLOSE_GOING_AWAY = 1001;

/** Most recently announced sequences listed per peer in an answer (besides the needed ones). */
const RECENT_IN_ANSWER = 16;

/** Strike-worthy protocol errors: malformed input and abuse, not races with other peers. */
const STRIKE_CODES = new Set<TrackerErrorCode>([
  'too_large',
  'bad_json',
  'bad_message',
  'unknown_type',
  'unauthorized',
  'forbidden_swarm',
  'rate_limited',
]);

export interface TrackerDeps {
  readonly config: TrackerConfig;
  readonly nodeId: string;
  readonly store: SwarmStore;
  readonly verifier: TokenVerifier;
  readonly logger: Logger;
  readonly metrics: TrackerMetrics;
  readonly now?: () => number;
  readonly random?: () => number;
}

type GoneReason = 'left' | 'banned' | 'timeout';

/**
 * The tracker's protocol logic: one PeerSession per WebSocket, swarm memberships in the
 * store, matching, the signalling relay, reports and bans, and the live election.
 */
export class Tracker {
  readonly sessions = new Map<string, PeerSession>();
  /** This node's members per room (a swarm's members of one peer protocol: rooms.ts). */
  readonly localSwarms = new Map<RoomId, Set<PeerSession>>();
  readonly relay: RelayGuard;
  private readonly load = new RecentLoad(10_000);
  private readonly elections: Elections;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly log: Logger;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly messageCounts = new Array<number>(10).fill(0);
  private messageSecond = 0;
  private maintenanceRunning = false;
  private destroyed = false;

  constructor(private readonly deps: TrackerDeps) {
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
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
      },
      now: this.now,
      logger: deps.logger,
      metrics: deps.metrics,
      localMembers: (room) => this.localSwarms.get(room) ?? new Set(),
    });
    deps.store.onEvent((event) => this.onClusterEvent(event));
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
    this.countMessage(nowMs);
    if (data.byteLength > this.deps.config.MAX_MESSAGE_BYTES) {
      this.deps.metrics.messagesReceived.inc({ type: 'invalid' });
      this.fail(
        session,
        'too_large',
        `message of ${data.byteLength} bytes exceeds ${this.deps.config.MAX_MESSAGE_BYTES}`,
        undefined,
        { fatal: true, closeCode: CLOSE_TOO_LARGE },
      );
      return;
    }
    if (!session.bucket.take(nowMs)) {
      this.deps.metrics.messagesReceived.inc({ type: 'rate_limited' });
      // One notice (and one strike) per second of flooding, not one per dropped message.
      if (nowMs - session.lastRateLimitNoticeMs >= 1000) {
        session.lastRateLimitNoticeMs = nowMs;
        this.fail(
          session,
          'rate_limited',
          `more than ${this.deps.config.MESSAGES_PER_SEC} messages per second; message dropped`,
        );
      }
      return;
    }
    if (isBinary) {
      this.deps.metrics.messagesReceived.inc({ type: 'invalid' });
      this.fail(session, 'bad_message', 'binary frames are not accepted; send JSON text');
      return;
    }
    const text = data.toString('utf8');
    const decoded = decodeClientMessage(text);
    if (!decoded.ok) {
      this.deps.metrics.messagesReceived.inc({ type: 'invalid' });
      const code = decoded.error.code as TrackerErrorCode;
      this.fail(session, code, decoded.error.message, guessType(text), {
        fatal: code === 'too_large',
        closeCode: CLOSE_TOO_LARGE,
      });
      return;
    }
    const message = decoded.value;
    this.deps.metrics.messagesReceived.inc({ type: message.type });
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
        return this.onSignal(session, message);
      case 'report':
        return this.onReport(session, message);
      case 'beacon':
        return this.onBeacon(session, message);
      case 'ping':
        return;
    }
  }

  /**
   * Send a protocol error; count a strike for malformed input or abuse, and disconnect a
   * connection that collected MAX_STRIKES in a minute (or when the error is fatal).
   */
  private fail(
    session: PeerSession,
    code: TrackerErrorCode,
    message: string,
    ref?: string,
    options: { fatal?: boolean; closeCode?: number; quiet?: boolean } = {},
  ): void {
    let fatal = options.fatal ?? false;
    let closeCode = options.closeCode ?? CLOSE_POLICY_VIOLATION;
    if (STRIKE_CODES.has(code) && session.strikes.add(this.now()) && !fatal) {
      fatal = true;
      closeCode = CLOSE_POLICY_VIOLATION;
      message = `${message} (too many protocol errors: disconnecting)`;
    }
    this.deps.metrics.errors.inc({ code });
    if (!options.quiet) {
      this.log.warn('protocol error', {
        peerId: session.peerId,
        ip: session.ip,
        code,
        message,
        ref,
        fatal,
      });
    }
    session.send({
      type: 'error',
      code,
      message: message.slice(0, 1024),
      ...(ref === undefined ? {} : { ref: ref.slice(0, 32) }),
      ...(fatal ? { fatal: true } : {}),
    });
    if (fatal) {
      this.deps.metrics.disconnects.inc({ reason: code });
      session.close(closeCode, code);
    }
  }

  private notJoined(session: PeerSession, swarmId: string, ref: string): void {
    this.fail(session, 'not_joined', `not a member of swarm ${swarmId}`, ref, { quiet: true });
  }

  /** The room a message about `swarmId` concerns: the one of this connection's peer protocol. */
  private roomOf(session: PeerSession, swarmId: string): RoomId {
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
    if (await store.isBanned(streamId, viewerId)) {
      return this.fail(session, 'banned', `banned from stream ${streamId}`, 'join');
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
    };
    const membership = newMembership(record, streamId);
    if (previous) {
      for (const peerId of previous.known) membership.known.add(peerId);
      for (const peerId of previous.reported) membership.reported.add(peerId);
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
  private async removeMembership(
    session: PeerSession,
    room: RoomId,
    reason: GoneReason,
  ): Promise<void> {
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

  private async announceGone(room: RoomId, peerId: string, reason: GoneReason): Promise<void> {
    this.deliverGone(room, peerId, reason);
    await this.deps.store.publish({ kind: 'peer-gone', swarmId: room, peerId, reason });
  }

  /**
   * Tell this node's members that were introduced to `peerId` that it is gone; a ban goes to
   * every member of the swarm (rare, and nobody should keep a link to that peer).
   */
  private deliverGone(room: RoomId, peerId: string, reason: GoneReason): void {
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
    const { config } = this.deps;
    const candidates = await this.deps.store.candidates(room, {
      need: message.need,
      scanLimit: config.MATCH_SCAN_LIMIT,
      holdersPerNeed: 16,
    });
    if (session.closed || !session.memberships.has(room)) return;
    const nowMs = this.now();
    const chosen = rankPeers(candidates, {
      askerId: session.peerId,
      askerRegion: membership.record.region,
      need: message.need,
      max: Math.min(message.max, config.PEERS_PER_ANSWER),
      exclude: membership.reported,
      recentLoad: (peerId) => this.load.get(peerId, nowMs),
      random: this.random,
    });
    const recent = await this.deps.store.recentHoldings(
      room,
      chosen.map((candidate) => candidate.record.peerId),
      RECENT_IN_ANSWER,
    );
    if (session.closed) return;
    const peers = chosen.map((candidate) =>
      toPeerInfo(candidate, recent.get(candidate.record.peerId) ?? []),
    );
    for (const peer of peers) {
      this.load.add(peer.peerId, nowMs);
      remember(membership.known, peer.peerId);
    }
    session.send({ type: 'peers', swarmId: message.swarmId, peers });
  }

  // ---- signalling relay -----------------------------------------------------------------------

  private async onSignal(session: PeerSession, message: ClientSignalMessage): Promise<void> {
    const receivedAtMs = this.now();
    const room = this.roomOf(session, message.swarmId);
    const membership = session.memberships.get(room);
    if (!membership) return this.notJoined(session, message.swarmId, 'signal');
    // Only within the room: a peer of another protocol version counts as not in the swarm.
    const localTarget = this.sessions.get(message.to);
    let targetNode: string | null = null;
    if (!localTarget?.memberships.has(room)) {
      const record = await this.deps.store.getMember(room, message.to);
      if (record && record.nodeId !== this.deps.nodeId) targetNode = record.nodeId;
      if (!targetNode) {
        return this.fail(
          session,
          'unknown_peer',
          `peer ${message.to} is not in swarm ${message.swarmId}`,
          'signal',
          { quiet: true },
        );
      }
    }
    const decision = this.relay.check(room, session.peerId, message.to, message.signal, this.now());
    if (!decision.ok) {
      return this.fail(session, decision.code, decision.message, 'signal', { quiet: true });
    }
    remember(membership.known, message.to);
    const outbound: ServerSignalMessage = {
      type: 'signal',
      swarmId: message.swarmId,
      from: session.peerId,
      signal: message.signal,
    };
    if (targetNode === null) {
      this.deliverSignal(localTarget!, room, outbound, receivedAtMs, 'local');
      return;
    }
    await this.deps.store.publish({
      kind: 'deliver',
      toNode: targetNode,
      fromNode: this.deps.nodeId,
      toPeer: message.to,
      message: outbound,
      sentAtMs: receivedAtMs,
    });
  }

  private deliverSignal(
    target: PeerSession,
    room: RoomId,
    message: ServerSignalMessage,
    receivedAtMs: number,
    path: 'local' | 'cluster',
  ): void {
    const membership = target.memberships.get(room);
    if (!membership) return;
    remember(membership.known, message.from);
    target.send(message);
    this.deps.metrics.relayLatency.observe({ path }, Math.max(0, this.now() - receivedAtMs) / 1000);
  }

  // ---- reports and bans -----------------------------------------------------------------------

  private async onReport(session: PeerSession, message: ReportMessage): Promise<void> {
    const room = this.roomOf(session, message.swarmId);
    const membership = session.memberships.get(room);
    if (!membership) return this.notJoined(session, message.swarmId, 'report');
    if (message.peerId === session.peerId) return;
    const target =
      message.reason === 'integrity' ? await this.deps.store.getMember(room, message.peerId) : null;
    const verdict = judgeReport(
      {
        reporterPeerId: session.peerId,
        reporterViewerId: session.viewerId,
        targetPeerId: message.peerId,
        targetViewerId: target?.viewerId ?? null,
        reason: message.reason,
        relayed: false,
        reporterJoinedAtMs: membership.record.joinedAtMs,
        nowMs: this.now(),
      },
      { minReporterTenureMs: 0, requireRelayed: false },
    );
    // Whatever the reason, the reporter is not offered that peer again.
    if (verdict.exclude) rememberReported(membership, message.peerId);
    if (!verdict.count || !target || session.viewerId === null) return;
    const { config, store } = this.deps;
    const reporters = await store.addReport(
      membership.streamId,
      target.viewerId,
      session.viewerId,
      config.REPORT_WINDOW_MS,
    );
    this.log.warn('integrity report', {
      reporter: session.peerId,
      target: target.peerId,
      swarmId: room,
      sequence: message.sequence,
      distinctReporters: reporters,
    });
    const threshold = banThreshold({ minReporters: config.REPORT_BAN_THRESHOLD, roomShare: 0 }, 0);
    if (reporters < threshold) return;
    await store.ban(membership.streamId, target.viewerId, config.BAN_MS);
    this.deps.metrics.bans.inc();
    this.log.warn('viewer banned from stream', {
      viewerId: target.viewerId,
      streamId: membership.streamId,
      peerId: target.peerId,
      distinctReporters: reporters,
      banMs: config.BAN_MS,
    });
    if (target.nodeId !== this.deps.nodeId) {
      // Out of the shared matching at once; its own node drops its connections' memberships.
      if (await store.leave(target.swarmId, target.peerId)) {
        await this.announceGone(target.swarmId, target.peerId, 'banned');
        this.elections.schedule(target.swarmId);
      }
    }
    await this.applyBan(membership.streamId, target.viewerId);
    await store.publish({
      kind: 'ban',
      streamId: membership.streamId,
      viewerId: target.viewerId,
    });
  }

  /** Drop this node's memberships of a banned viewer in every swarm of the stream. */
  private async applyBan(streamId: string, viewerId: string): Promise<void> {
    const work: Promise<void>[] = [];
    for (const session of this.sessions.values()) {
      if (session.viewerId !== viewerId) continue;
      for (const [room, membership] of session.memberships) {
        if (membership.streamId !== streamId) continue;
        session.send({
          type: 'error',
          code: 'banned',
          message: `banned from stream ${streamId} after integrity reports`,
          ref: 'report',
        });
        this.deps.metrics.errors.inc({ code: 'banned' });
        work.push(this.removeMembership(session, room, 'banned'));
      }
    }
    await Promise.all(work);
  }

  private onBeacon(session: PeerSession, message: BeaconMessage): void {
    const membership = session.memberships.get(this.roomOf(session, message.swarmId));
    if (!membership) return this.notJoined(session, message.swarmId, 'beacon');
    recordBeacon(membership.beacon, message.stats, this.deps.metrics);
  }

  // ---- other nodes ----------------------------------------------------------------------------

  private onClusterEvent(event: ClusterEvent): void {
    switch (event.kind) {
      case 'deliver': {
        const target = this.sessions.get(event.toPeer);
        const message = event.message;
        // The sending node found the target in the sender's room, so the target's room is it.
        const room = target ? this.roomOf(target, message.swarmId) : null;
        if (!target || room === null || !target.memberships.has(room)) {
          void this.deps.store.publish({
            kind: 'undeliverable',
            toNode: event.fromNode,
            toPeer: message.from,
            swarmId: message.swarmId,
            missingPeer: event.toPeer,
          });
          return;
        }
        // The delivering node checks the relay rules too, so each side keeps the attempt.
        const decision = this.relay.check(
          room,
          message.from,
          event.toPeer,
          message.signal,
          this.now(),
        );
        if (!decision.ok) {
          this.log.debug('dropped relayed signal', { to: event.toPeer, reason: decision.message });
          return;
        }
        this.deliverSignal(target, room, message, event.sentAtMs, 'cluster');
        return;
      }
      case 'undeliverable': {
        const session = this.sessions.get(event.toPeer);
        if (session) {
          this.fail(
            session,
            'unknown_peer',
            `peer ${event.missingPeer} is not in swarm ${event.swarmId}`,
            'signal',
            { quiet: true },
          );
        }
        return;
      }
      case 'peer-gone':
        this.deliverGone(event.swarmId, event.peerId, event.reason);
        return;
      case 'ban':
        void this.applyBan(event.streamId, event.viewerId).catch((error: unknown) =>
          this.log.error('applying a ban failed', { err: error }),
        );
        return;
      case 'election':
        this.elections.deliver(event.swarmId, event.election);
        return;
    }
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
      this.load.sweep(nowMs);
    } catch (error) {
      this.log.error('maintenance failed', { err: error });
    } finally {
      this.maintenanceRunning = false;
    }
  }

  private countMessage(nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    if (second !== this.messageSecond) {
      const gap = Math.min(second - this.messageSecond, this.messageCounts.length);
      for (let i = 1; i <= gap; i++) this.messageCounts[(this.messageSecond + i) % 10] = 0;
      this.messageSecond = second;
    }
    this.messageCounts[second % 10]!++;
  }

  /** Client messages per second over the last ten full seconds. */
  messagesPerSec(): number {
    this.countMessage(this.now());
    this.messageCounts[this.messageSecond % 10]!--;
    let total = 0;
    for (let i = 1; i <= 9; i++) total += this.messageCounts[(this.messageSecond - i + 10) % 10]!;
    return Math.round((total / 9) * 10) / 10;
  }

  localPeerCount(): number {
    let count = 0;
    for (const sessions of this.localSwarms.values()) count += sessions.size;
    return count;
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

function guessType(text: string): string | undefined {
  const match = /"type"\s*:\s*"([A-Za-z0-9_-]{1,32})"/.exec(text.slice(0, 4096));
  return match?.[1];
}
