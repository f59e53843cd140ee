import type { PeerInfo, ReportReason, SignalPayload, SignedPartHash } from '@coral-cdn/protocol';
import type { EngineConfig } from './config.js';
import { candidateAllowed, withoutRelayCandidates } from './connectivity.js';
import { Emitter } from './emitter.js';
import type { DataChannelLike, EnginePlatform, IceCandidate, TimerId } from './platform.js';
import type { PartName } from './part-key.js';
import { PeerSession } from './peer-session.js';
import type {
  PeerCloseReason,
  ShareablePartLookup,
  SignedHashLookup,
} from './peer-session-types.js';
import type { SegmentStore } from './segment-store.js';
import type { StartupHold } from './startup-hold.js';
import type { StatsCounters } from './stats.js';
import type { TrackerClient } from './tracker-client.js';
import type { UploadLimiter } from './upload-limiter.js';
import { UnreachablePeers } from './unreachable-peers.js';
import { readOpenedPath, refreshPathRtt } from './connection-path.js';
import { AnnouncedUplinks } from './announced-uplinks.js';
import type { Connection, PeerManagerEvents } from './peer-manager-types.js';

/** How long a first question to the tracker counts as "still discovering peers". */
const DISCOVERY_WINDOW_MS = 3_000;

/**
 * Keeps WebRTC data channels to a bounded set of peers: asks the tracker for peers while below
 * the target, offers to them (resolving offer glare by peer id), answers offers up to the
 * maximum, trickles ICE through the tracker, times out set-ups that do not open, and drops
 * and reports peers that misbehave.
 */
export class PeerManager extends Emitter<PeerManagerEvents> {
  private readonly connections = new Map<string, Connection>();
  private readonly banned = new Set<string>();
  /** Peers that speak another peer protocol version (a player upgrade rolling out): skipped. */
  private readonly incompatible = new Set<string>();
  /** Peers whose set-up failed (or could only relay), by when they may be tried again. */
  private readonly unreachable = new UnreachablePeers(() => this.platform.clock.now());
  private readonly uplinks = new AnnouncedUplinks();
  private readonly swarms = new Set<string>();
  private refreshTimer: TimerId | null = null;
  private destroyed = false;
  private connectionSeq = 0;
  /** When discovery began: the end of the start-up hold (the tracker is contacted then). */
  private discoveryStartedAtMs: number;
  private peersQueriedAtMs: number | null = null;
  private peersAnswered = false;

  constructor(
    private readonly platform: EnginePlatform,
    private readonly config: EngineConfig,
    private readonly tracker: TrackerClient,
    private readonly store: SegmentStore,
    private readonly limiter: UploadLimiter,
    private readonly streamId: string,
    /** Sequences the scheduler needs soon in a swarm (sent with get-peers). */
    private readonly needFor: (swarmId: string) => number[],
    /** The start-up hold (`StartupHold`): it counts as discovering; discovery starts after it. */
    private readonly hold: StartupHold,
    /** Connection outcomes are counted here (attempts, failures, pair types). */
    private readonly counters: Pick<StatsCounters, 'peerFailures' | 'relayRefused' | 'pairs'>,
    /** Passed on to every session (`PeerSession` sends the entries before its HAVEs). */
    private readonly signedHash: SignedHashLookup = () => undefined,
    /** The LL-HLS parts sessions may upload. */
    private readonly shareablePart: ShareablePartLookup = () => undefined,
  ) {
    super();
    this.discoveryStartedAtMs = platform.clock.now();
    hold.whenReleased(() => (this.discoveryStartedAtMs = platform.clock.now()));
    tracker.on('joined', (swarmId) => {
      this.swarms.add(swarmId);
      this.requestPeers(swarmId);
    });
    tracker.on('peers', (swarmId, peers) => this.onPeers(swarmId, peers));
    // No signal can come during the hold: the engine connects to the tracker when it ends.
    tracker.on('signal', (swarmId, from, signal, uploadKbps) => {
      if (uploadKbps !== undefined) this.uplinks.note([{ peerId: from, uploadKbps }]);
      void this.onSignal(swarmId, from, signal);
    });
    tracker.on('peer-gone', (_swarmId, peerId) => this.closePeer(peerId, 'gone'));
    this.scheduleRefresh();
  }

  /** Open sessions (handshake done or not yet). */
  get sessions(): PeerSession[] {
    const out: PeerSession[] = [];
    for (const connection of this.connections.values()) {
      if (connection.session?.isOpen) out.push(connection.session);
    }
    return out;
  }

  get connectedCount(): number {
    return this.sessions.length;
  }

  /** Connections being set up (offered or answered, channel not open yet). */
  get connectingCount(): number {
    let count = 0;
    for (const connection of this.connections.values()) if (!connection.session) count++;
    return count;
  }

  session(peerId: string): PeerSession | undefined {
    const session = this.connections.get(peerId)?.session;
    return session?.isOpen ? session : undefined;
  }

  /** Open sessions whose peer holds the segment, fastest first. */
  holders(rendition: string, sequence: number): PeerSession[] {
    return this.sessions
      .filter((session) => session.handshaken && session.has(rendition, sequence))
      .sort((a, b) => b.throughput.bytesPerSec - a.throughput.bytesPerSec);
  }

  /** Open sessions whose peer holds the part, fastest first. */
  partHolders(name: PartName): PeerSession[] {
    return this.sessions
      .filter((session) => session.handshaken && session.hasPart(name))
      .sort((a, b) => b.throughput.bytesPerSec - a.throughput.bytesPerSec);
  }

  announcePart(name: PartName, signed: SignedPartHash): void {
    for (const session of this.sessions) session.announcePart(name, signed);
  }

  announce(rendition: string, added: number[], lost: number[]): void {
    for (const session of this.sessions) session.announce(rendition, added, lost);
  }

  /** Drop a peer for bad bytes or protocol abuse, never reconnect to it, tell the tracker. */
  ban(peerId: string, reason: ReportReason, sequence?: number): void {
    const connection = this.connections.get(peerId);
    if (this.banned.has(peerId)) return;
    this.banned.add(peerId);
    if (connection) this.tracker.report(connection.swarmId, peerId, reason, sequence);
    this.closePeer(
      peerId,
      reason === 'integrity' ? 'integrity' : reason === 'timeout' ? 'timeout' : 'protocol',
    );
  }

  isBanned(peerId: string): boolean {
    return this.banned.has(peerId);
  }

  leaveSwarm(swarmId: string): void {
    this.swarms.delete(swarmId);
  }

  /** Ask the tracker for more peers now if below the target. */
  requestPeers(swarmId: string): void {
    if (this.destroyed) return;
    if (this.connections.size >= this.config.targetPeers) return;
    if (!this.tracker.isJoined(swarmId)) return;
    this.tracker.getPeers(swarmId, this.needFor(swarmId), Math.min(50, this.config.maxPeers * 2));
    this.peersQueriedAtMs ??= this.platform.clock.now();
  }

  /**
   * Still finding peers: connections are being set up or a new one has not said hello yet
   * (what a peer holds follows its handshake), or the tracker has not yet answered the first
   * question (bounded: a silent tracker stops counting after a few seconds). Set-ups count
   * during the first discovery only (the tracker's answer, then one connect timeout): later
   * ones (new peers, retries of unreachable ones) would keep a viewer whose set-ups keep
   * failing (UDP blocked, a symmetric NAT) waiting on each segment while they run, its buffer
   * drained towards the CDN's last moment, where a plain CDN player keeps it full.
   */
  get discovering(): boolean {
    if (this.hold.holding) return true;
    if (this.sessions.some((session) => !session.handshaken)) return true;
    const sinceMs =
      this.platform.clock.now() - (this.peersQueriedAtMs ?? this.discoveryStartedAtMs);
    if (
      this.connectingCount > 0 &&
      sinceMs < DISCOVERY_WINDOW_MS + this.config.peerConnectTimeoutMs
    )
      return true;
    if (this.sessions.length > 0 || this.peersAnswered) return false;
    return sinceMs < DISCOVERY_WINDOW_MS;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.refreshTimer !== null) this.platform.clock.clearTimeout(this.refreshTimer);
    for (const peerId of [...this.connections.keys()]) this.closePeer(peerId, 'destroyed');
    this.removeAll();
  }

  private scheduleRefresh(): void {
    this.refreshTimer = this.platform.clock.setTimeout(() => {
      this.refreshTimer = null;
      if (this.destroyed) return;
      for (const swarmId of this.swarms)
        if (this.tracker.isJoined(swarmId)) this.requestPeers(swarmId);
      for (const { pc, session } of this.connections.values())
        if (session) refreshPathRtt(pc, session);
      this.scheduleRefresh();
    }, this.config.peerRefreshIntervalMs);
  }

  private onPeers(swarmId: string, peers: PeerInfo[]): void {
    const localId = this.tracker.peerId;
    if (this.destroyed || !localId) return;
    this.peersAnswered = true;
    this.uplinks.note(peers);
    this.platform.clock.setTimeout(() => this.emit('discovery'), 0);
    for (const peer of peers) {
      if (this.connections.size >= this.config.targetPeers) break;
      if (
        peer.peerId === localId ||
        this.banned.has(peer.peerId) ||
        this.incompatible.has(peer.peerId) ||
        this.connections.has(peer.peerId) ||
        this.unreachable.recently(peer.peerId)
      )
        continue;
      this.offer(swarmId, peer.peerId);
    }
  }

  private newConnection(
    remoteId: string,
    swarmId: string,
    role: Connection['role'],
    connectionId: string,
  ): Connection {
    const pc = this.platform.createPeerConnection();
    const connection: Connection = {
      remoteId,
      swarmId,
      connectionId,
      role,
      pc,
      remoteDescriptionSet: false,
      queuedCandidates: [],
      descriptionSent: false,
      queuedLocalCandidates: [],
      connectTimer: null,
      session: null,
    };
    this.connections.set(remoteId, connection);
    pc.onlocalcandidate = (candidate) => {
      // Relay candidates are kept to ourselves unless the operator allows relayed peer traffic.
      if (candidate && !candidateAllowed(candidate.candidate, this.config.relayAllowed)) return;
      const signal: SignalPayload = {
        kind: 'candidate',
        connectionId,
        candidate: candidate?.candidate ?? '',
        sdpMid: candidate?.sdpMid ?? null,
        sdpMLineIndex: candidate?.sdpMLineIndex ?? null,
      };
      if (connection.descriptionSent) this.tracker.signal(swarmId, remoteId, signal);
      else connection.queuedLocalCandidates.push(signal);
    };
    pc.onconnectionstatechange = (state) => {
      if (state === 'failed' || state === 'closed') this.dropConnection(connection, 'closed');
    };
    // promote() and dropConnection() clear the timer: if it fires, no channel opened.
    connection.connectTimer = this.platform.clock.setTimeout(() => {
      connection.connectTimer = null;
      this.log('debug', 'peer connection timed out', { peerId: remoteId });
      this.dropConnection(connection, 'timeout');
    }, this.config.peerConnectTimeoutMs);
    return connection;
  }

  private offer(swarmId: string, remoteId: string): void {
    const connectionId = `c${++this.connectionSeq}${Math.floor(this.platform.random() * 1e9).toString(36)}`;
    const connection = this.newConnection(remoteId, swarmId, 'offerer', connectionId);
    const channel = connection.pc.createDataChannel('coral');
    channel.onopen = () => this.promote(connection, channel);
    connection.pc
      .createOffer()
      .then((sdp) => {
        if (this.connections.get(remoteId) !== connection) return;
        this.tracker.signal(swarmId, remoteId, {
          kind: 'offer',
          connectionId,
          sdp: this.policySdp(sdp),
        });
        this.descriptionSent(connection);
      })
      .catch((error: unknown) => {
        this.log('warn', 'createOffer failed', { error: String(error) });
        this.dropConnection(connection, 'closed');
      });
  }

  private async onSignal(swarmId: string, from: string, signal: SignalPayload): Promise<void> {
    if (this.destroyed || this.banned.has(from) || this.incompatible.has(from)) return;
    const existing = this.connections.get(from);
    try {
      if (signal.kind === 'offer') {
        if (existing) {
          // A new offer over an open session: the peer gave it up (opened on this side only).
          if (existing.session?.isOpen && existing.connectionId === signal.connectionId) return;
          // Offer glare: both sides offered; the larger peer id yields and answers.
          const localId = this.tracker.peerId ?? '';
          if (existing.role === 'offerer' && localId < from) return;
          this.dropConnection(existing, 'closed', false);
        }
        if (this.connections.size >= this.config.maxPeers) return;
        const connection = this.newConnection(from, swarmId, 'answerer', signal.connectionId);
        connection.pc.ondatachannel = (channel) => {
          if (channel.readyState === 'open') this.promote(connection, channel);
          else channel.onopen = () => this.promote(connection, channel);
        };
        const answer = await connection.pc.acceptOffer(this.policySdp(signal.sdp));
        if (this.connections.get(from) !== connection) return;
        connection.remoteDescriptionSet = true;
        this.tracker.signal(swarmId, from, {
          kind: 'answer',
          connectionId: signal.connectionId,
          sdp: this.policySdp(answer),
        });
        // Behind a NAT the offerer can only reach us through the candidates we send it.
        this.descriptionSent(connection);
        await this.flushCandidates(connection);
        return;
      }
      if (!existing || existing.connectionId !== signal.connectionId) return;
      if (signal.kind === 'answer') {
        if (existing.role !== 'offerer' || existing.remoteDescriptionSet) return;
        await existing.pc.acceptAnswer(this.policySdp(signal.sdp));
        existing.remoteDescriptionSet = true;
        await this.flushCandidates(existing);
        return;
      }
      if (!candidateAllowed(signal.candidate, this.config.relayAllowed)) return;
      const candidate: IceCandidate = {
        candidate: signal.candidate,
        sdpMid: signal.sdpMid,
        sdpMLineIndex: signal.sdpMLineIndex,
      };
      if (existing.remoteDescriptionSet) await existing.pc.addRemoteCandidate(candidate);
      else existing.queuedCandidates.push(candidate);
    } catch (error) {
      this.log('warn', 'signalling failed', {
        peerId: from,
        kind: signal.kind,
        error: String(error),
      });
      const connection = this.connections.get(from);
      if (connection && !connection.session) this.dropConnection(connection, 'closed');
    }
  }

  private descriptionSent(connection: Connection): void {
    connection.descriptionSent = true;
    const queued = connection.queuedLocalCandidates;
    connection.queuedLocalCandidates = [];
    for (const signal of queued)
      this.tracker.signal(connection.swarmId, connection.remoteId, signal);
  }

  private async flushCandidates(connection: Connection): Promise<void> {
    const queued = connection.queuedCandidates;
    connection.queuedCandidates = [];
    for (const candidate of queued) await connection.pc.addRemoteCandidate(candidate);
  }

  private promote(connection: Connection, channel: DataChannelLike): void {
    const localId = this.tracker.peerId;
    if (connection.session || this.connections.get(connection.remoteId) !== connection || !localId)
      return;
    if (connection.connectTimer !== null) this.platform.clock.clearTimeout(connection.connectTimer);
    connection.connectTimer = null;
    const session = new PeerSession(
      this.platform,
      this.config,
      channel,
      connection.remoteId,
      localId,
      this.streamId,
      this.store,
      this.limiter,
      this.signedHash,
      this.shareablePart,
    );
    connection.session = session;
    const announced = this.uplinks.bytesPerSecOf(connection.remoteId);
    if (announced !== null) session.throughput.assumeAtMost(announced);
    this.unreachable.reached(connection.remoteId);
    session.on('part-have', (name) => this.emit('peer-part-have', session, name));
    session.on('part-signed', (rendition, hash) =>
      this.emit('peer-part-signed', session, rendition, hash),
    );
    session.on('have', (rendition, sequences) =>
      this.emit('peer-have', session, rendition, sequences),
    );
    session.on('signed', (rendition, hash) => this.emit('peer-signed', session, rendition, hash));
    session.on('uploaded', (bytes) => this.emit('uploaded', bytes));
    session.on('closed', (reason) => {
      // A peer that broke the wire protocol is treated like one that sent bad bytes; one that
      // speaks another version of it did nothing wrong, and is only not asked again.
      if (reason === 'protocol' && !this.banned.has(connection.remoteId)) {
        this.banned.add(connection.remoteId);
        this.tracker.report(connection.swarmId, connection.remoteId, 'protocol');
      }
      if (reason === 'incompatible') this.incompatible.add(connection.remoteId);
      this.dropConnection(connection, reason);
    });
    session.start();
    this.emit('peer-connected', session);
    this.recordPath(connection, session);
  }

  /** Without relay allowed, an SDP carries no relay candidate, in or out. */
  private policySdp(sdp: string): string {
    return this.config.relayAllowed ? sdp : withoutRelayCandidates(sdp);
  }

  /**
   * Count the opened connection by its selected pair type and take its first round trip. One
   * on a relay the policy does not allow (a stack that relayed anyway) is closed, and that peer
   * not asked again for a while: its viewer's bytes stay on the CDN, not the operator's relay.
   */
  private recordPath(connection: Connection, session: PeerSession): void {
    readOpenedPath(connection.pc, this.config.relayAllowed, session, {
      counted: (type) => this.counters.pairs[type]++,
      refused: () => {
        this.counters.relayRefused++;
        this.log('info', 'peer connection on a relayed pair closed: relay not allowed', {
          peerId: connection.remoteId,
        });
        this.unreachable.refused(connection.remoteId);
        this.dropConnection(connection, 'closed');
      },
    });
  }

  private closePeer(peerId: string, reason: PeerCloseReason): void {
    const connection = this.connections.get(peerId);
    if (connection) this.dropConnection(connection, reason);
  }

  private dropConnection(connection: Connection, reason: PeerCloseReason, refill = true): void {
    if (this.connections.get(connection.remoteId) !== connection) return;
    this.connections.delete(connection.remoteId);
    // A set-up that ended without a channel (not replaced by glare, not a shutdown or a leave).
    if (!connection.session && refill && reason !== 'destroyed' && reason !== 'gone') {
      this.counters.peerFailures++;
      this.unreachable.mark(connection.remoteId);
    }
    if (connection.connectTimer !== null) this.platform.clock.clearTimeout(connection.connectTimer);
    connection.session?.close(reason);
    connection.pc.onlocalcandidate = null;
    connection.pc.onconnectionstatechange = null;
    connection.pc.ondatachannel = null;
    try {
      connection.pc.close();
    } catch (_error) {
      // already closed
    }
    if (connection.session) this.emit('peer-closed', connection.remoteId, reason);
    else this.emit('discovery');
    if (refill && !this.destroyed && this.swarms.has(connection.swarmId)) {
      this.platform.clock.setTimeout(() => this.requestPeers(connection.swarmId), 0);
    }
  }

  private log(
    level: 'debug' | 'info' | 'warn' | 'error',
    message: string,
    fields?: Record<string, unknown>,
  ): void {
    this.platform.log?.(level, message, { component: 'peer-manager', ...fields });
  }
}
