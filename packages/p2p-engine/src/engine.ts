import { formatSwarmId, type ElectionMessage } from '@coral-cdn/protocol';
import { beaconOf } from './beacon.js';
import {
  checkStreamConfig,
  resolveEngineConfig,
  type EngineConfig,
  type StreamConfig,
} from './config.js';
import { Emitter } from './emitter.js';
import { EngineError } from './errors.js';
import { IntegrityRegistry } from './integrity.js';
import { parseMediaPlaylist } from './m3u8.js';
import type { Cancelable, EnginePlatform, TimerId } from './platform.js';
import { PlaybackClock, type PlaybackUpdate } from './playback-clock.js';
import { PeerManager } from './peer-manager.js';
import { PartLoader, type PartRequest, type PartResult } from './part-loader.js';
import type { PeerCloseReason } from './peer-session-types.js';
import { PlaylistState, type PlaylistUpdate } from './playlist-state.js';
import { Scheduler, type SegmentRequest, type SegmentResult } from './scheduler.js';
import { SegmentStore, type StoredSegment, type TransferTiming } from './segment-store.js';
import { StartupHold } from './startup-hold.js';
import { peerConnectionStats, StatsCounters, type EngineStats } from './stats.js';
import { playlistText, standardUtf8Decode, type Utf8Decode } from './text.js';
import { newLiveSegments } from './live-poll.js';
import { TrackerClient } from './tracker-client.js';
import { uploadLimiterFor } from './upload-limiter.js';

/** A live fetcher polls the playlist while it is elected for one of this many next segments. */
const POLL_LOOKAHEAD_SEGMENTS = 2;

export interface EngineEvents {
  'segment-stored': (segment: StoredSegment) => void;
  'peer-connected': (peerId: string) => void;
  'peer-closed': (peerId: string, reason: PeerCloseReason) => void;
  'tracker-connected': () => void;
  'tracker-disconnected': () => void;
}

/**
 * The P2P engine for one stream: the public face that the hls.js adapter and the headless
 * node peer drive. Tell it the playlists (`setPlaylist`), the rendition being played
 * (`setActiveRendition`) and the playhead (`setPlayback`); ask it for segments
 * (`loadSegment`); read `stats`; `destroy()` when done.
 */
export class CoralEngine extends Emitter<EngineEvents> {
  readonly config: EngineConfig;
  private readonly counters = new StatsCounters();
  private readonly store: SegmentStore;
  private readonly playlists = new PlaylistState();
  private readonly playback = new PlaybackClock();
  private readonly scheduler: Scheduler;
  private readonly integrity: IntegrityRegistry | null;
  private readonly tracker: TrackerClient | null;
  private readonly peers: PeerManager | null;
  private readonly hold: StartupHold;
  private readonly elections = new Map<string, ElectionMessage>();
  private readonly joinedSwarms = new Set<string>();
  private activeRendition: string | null = null;
  private beaconTimer: TimerId | null = null;
  private pollTimer: TimerId | null = null;
  private polling = false;
  private stallStartedAtMs: number | null = null;
  private started = false;
  private destroyed = false;
  private readonly decodeUtf8: Utf8Decode;
  private readonly parts: PartLoader;

  constructor(
    private readonly platform: EnginePlatform,
    private readonly stream: StreamConfig,
    overrides: Partial<EngineConfig> = {},
  ) {
    super();
    this.config = resolveEngineConfig(overrides);
    this.decodeUtf8 = platform.decodeUtf8
      ? (bytes) => platform.decodeUtf8!(bytes)
      : standardUtf8Decode();
    checkStreamConfig(stream);
    this.store = new SegmentStore(this.config.segmentMemoryBytes);
    this.hold = new StartupHold(platform.clock, this.config.connectHoldMaxMs);
    const useP2p = this.config.p2pEnabled;
    this.integrity =
      useP2p && this.config.integrityEnabled
        ? new IntegrityRegistry(
            platform.subtle,
            platform.http,
            platform.clock,
            stream.publicKey,
            stream.streamId,
            this.hold,
          )
        : null;
    this.tracker = useP2p
      ? new TrackerClient(platform, {
          url: stream.trackerUrl,
          token: stream.token,
          ...(stream.refreshToken ? { refreshToken: stream.refreshToken } : {}),
          region: this.config.region,
          uploadKbps: this.config.announcedUploadKbps,
          connectionType: this.config.connectionType,
          reconnectMinMs: this.config.trackerReconnectMinMs,
          reconnectMaxMs: this.config.trackerReconnectMaxMs,
        })
      : null;
    const limiter = uploadLimiterFor(platform.clock, this.config);
    this.peers = this.tracker
      ? new PeerManager(
          platform,
          this.config,
          this.tracker,
          this.store,
          limiter,
          stream.streamId,
          (swarmId) => this.scheduler.upcomingSequences(swarmId.slice(swarmId.indexOf('/') + 1)),
          this.hold,
          this.counters,
          (rendition, sequence) => this.integrity?.signed(rendition, sequence),
          (name) => this.parts.shareable(name),
        )
      : null;
    this.scheduler = new Scheduler({
      platform,
      config: this.config,
      streamId: stream.streamId,
      store: this.store,
      integrity: this.integrity,
      peers: this.peers,
      hold: this.hold,
      playlists: this.playlists,
      playback: this.playback,
      stats: this.counters,
      localPeerId: () => this.tracker?.peerId ?? null,
      election: (swarmId) => this.elections.get(swarmId) ?? null,
      partSequences: () => this.parts.sequencesHeld(),
    });
    this.parts = new PartLoader({
      platform,
      config: this.config,
      stream,
      checked: this.integrity !== null,
      peers: this.peers,
      playback: this.playback,
      role: (name) => this.scheduler.liveRole(name, true),
      playlistUrl: (rendition) => this.playlists.get(rendition)?.playlistUrl,
      onBadPeer: (peerId, name) => this.onBadPartPeer(peerId, name.rendition, name.sequence),
      onBytes: (source, sizeBytes) => {
        if (source === 'p2p') this.counters.p2pBytes += sizeBytes;
        else this.counters.httpBytes += sizeBytes;
      },
      segments: this.store,
      segmentIntegrity: this.integrity,
    });
    this.wire();
  }

  /**
   * Start: connect to the tracker (when P2P is on) once the start-up hold is over, that is
   * after the player's first frame (`reportStartup`) or `connectHoldMaxMs`. Idempotent.
   */
  start(): void {
    if (this.started || this.destroyed) return;
    this.started = true;
    this.hold.whenReleased(() => {
      this.tracker?.start();
      this.scheduleBeacon();
    });
  }

  /** The player loaded (or reloaded) a media playlist. */
  setPlaylist(update: PlaylistUpdate): void {
    if (this.destroyed) return;
    const { added } = this.playlists.update(update, this.platform.clock.now());
    this.integrity?.setPlaylistUrl(update.rendition, update.playlistUrl);
    const newest = added[added.length - 1];
    // A live waiter gets the new segment's signed entry with a peer's HAVE of it: only the
    // viewers that may fetch it from the CDN (and VOD viewers) fetch the manifest now. A viewer
    // playing parts fetches no segment whole: its entries come with its parts (part-loader.ts).
    if (
      this.integrity &&
      newest &&
      !this.integrity.known(update.rendition, newest.sequence) &&
      !this.parts.playsParts() &&
      this.scheduler.liveRole({ rendition: update.rendition, sequence: newest.sequence }) !==
        'waiter'
    )
      void this.integrity.refresh(update.rendition).then(() => {
        this.scheduler.scheduleTick(0);
        this.parts.segmentSigned(update.rendition);
      });
    if (update.live) {
      const playlist = this.playlists.get(update.rendition);
      if (playlist) this.store.dropBelow(update.rendition, playlist.firstSequence);
    }
    if (this.activeRendition === null) this.setActiveRendition(update.rendition);
    if (added.length > 0) this.scheduler.scheduleTick(0);
    this.updatePolling();
  }

  /** The rendition the player is loading now (an ABR switch moves to its swarm). */
  setActiveRendition(rendition: string): void {
    if (this.destroyed || rendition === this.activeRendition) return;
    const previous = this.activeRendition;
    this.activeRendition = rendition;
    this.scheduler.setActiveRendition(rendition);
    if (this.tracker) {
      const swarmId = this.swarmIdOf(rendition);
      const live = this.playlists.get(rendition)?.live ?? false;
      this.tracker.join(swarmId, live, () => this.store.verifiedSequences(rendition));
      this.joinedSwarms.add(swarmId);
      if (previous !== null) {
        const previousSwarm = this.swarmIdOf(previous);
        this.tracker.leave(previousSwarm);
        this.peers?.leaveSwarm(previousSwarm);
        this.joinedSwarms.delete(previousSwarm);
      }
    }
    this.updatePolling();
  }

  /** Where the playhead is and how fast it moves (0 when paused or stalled). */
  setPlayback(update: PlaybackUpdate): void {
    if (this.destroyed) return;
    this.playback.update(update, this.platform.clock.now());
    this.scheduler.scheduleTick(250);
  }

  loadSegment(request: SegmentRequest): Cancelable<SegmentResult> {
    return this.scheduler.request(request);
  }

  /** An LL-HLS part, from a peer (checked against its signed entry) or the CDN. */
  loadPart(request: PartRequest): Cancelable<PartResult> {
    return this.parts.load(request);
  }

  /**
   * Should the player's own loader fetch this segment instead of `loadSegment`? True before
   * the first frame, while peer set-up is held (no peer could serve it); hand the bytes back
   * with `adoptSegment` so they count and can be shared.
   */
  leavesToPlayer(request: Pick<SegmentRequest, 'rendition' | 'sequence'>): boolean {
    return this.scheduler.leavesToPlayer(request.rendition, request.sequence);
  }

  /** Bytes the player fetched from the CDN itself for a segment `leavesToPlayer` left to it. */
  adoptSegment(request: SegmentRequest, bytes: Uint8Array, timing: TransferTiming): void {
    this.scheduler.adopt(request, bytes, timing);
  }

  /** QoE: the player started playing after `startupMs`. */
  reportStartup(startupMs: number): void {
    this.counters.startupMs ??= startupMs;
    this.hold.release();
  }

  /** QoE: playback stalled (waiting for data) / resumed. */
  reportStall(stalled: boolean): void {
    const now = this.platform.clock.now();
    if (stalled && this.stallStartedAtMs === null) {
      this.stallStartedAtMs = now;
      this.counters.stalls++;
    } else if (!stalled && this.stallStartedAtMs !== null) {
      this.counters.stallMs += now - this.stallStartedAtMs;
      this.stallStartedAtMs = null;
    }
  }

  get stats(): EngineStats {
    const c = this.counters;
    const sessions = this.peers?.sessions ?? [];
    const total = c.httpBytes + c.p2pBytes;
    const connections = peerConnectionStats(c);
    const openStallMs =
      this.stallStartedAtMs === null ? 0 : this.platform.clock.now() - this.stallStartedAtMs;
    return {
      httpBytes: c.httpBytes,
      p2pBytes: c.p2pBytes,
      uploadedBytes: c.uploadedBytes,
      segmentsFromHttp: c.segmentsFromHttp,
      cdnReasons: { ...c.cdnReasons },
      segmentsFromP2p: c.segmentsFromP2p,
      segmentsMixed: c.segmentsMixed,
      segmentsFromStore: c.segmentsFromStore,
      fallbacks: c.fallbacks,
      integrityFailures: c.integrityFailures,
      p2pDiscardedBytes: c.p2pDiscardedBytes,
      prefetchedBytes: c.prefetchedBytes,
      prefetchWastedBytes: c.prefetchWastedBytes,
      storedBytes: this.store.totalBytes,
      storedSegments: this.store.count,
      peers: sessions.length,
      peerDetails: sessions.map((session) => ({
        peerId: session.remotePeerId,
        downloadBytesPerSec: Math.round(session.throughput.bytesPerSec),
        downloadedBytes: session.downloadedBytes,
        uploadedBytes: session.uploadedBytes,
        rttMs: session.pathRttMs,
      })),
      offloadRatio: total === 0 ? 0 : c.p2pBytes / total,
      stalls: c.stalls,
      stallMs: c.stallMs + openStallMs,
      startupMs: c.startupMs,
      trackerConnected: this.tracker?.connected ?? false,
      p2pEnabled: this.config.p2pEnabled,
      peerConnections: connections,
      p2pEligible: connections.attempts - connections.failed - connections.relayRefused > 0,
      parts: this.parts.stats,
    };
  }

  /** The tracker's id for this peer, once joined. */
  get peerId(): string | null {
    return this.tracker?.peerId ?? null;
  }

  /** Stop everything: tracker, peers, transfers, timers. Idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    this.sendBeacon();
    this.destroyed = true;
    for (const timer of [this.beaconTimer, this.pollTimer])
      if (timer !== null) this.platform.clock.clearTimeout(timer);
    this.hold.destroy();
    this.scheduler.destroy();
    this.parts.destroy();
    this.peers?.destroy();
    this.tracker?.destroy();
    this.integrity?.destroy();
    this.store.clear();
    this.removeAll();
  }

  private swarmIdOf(rendition: string): string {
    return formatSwarmId({ streamId: this.stream.streamId, rendition });
  }

  private wire(): void {
    this.store.on('added', (segment) => {
      this.peers?.announce(segment.rendition, [segment.sequence], []);
      this.tracker?.announce(this.swarmIdOf(segment.rendition), [segment.sequence], []);
      this.emit('segment-stored', segment);
    });
    this.store.on('evicted', (segment, wasted) => {
      if (wasted) this.counters.prefetchWastedBytes += segment.bytes.byteLength;
      if (segment.verified) {
        this.peers?.announce(segment.rendition, [], [segment.sequence]);
        this.tracker?.announce(this.swarmIdOf(segment.rendition), [], [segment.sequence]);
      }
    });
    if (this.tracker) {
      this.tracker.on('election', (election) => {
        this.elections.set(election.swarmId, election);
        this.scheduler.wakeAll();
        this.updatePolling();
      });
      this.tracker.on('connected', () => this.emit('tracker-connected'));
      this.tracker.on('disconnected', () => this.emit('tracker-disconnected'));
    }
    if (this.peers) {
      this.peers.on('peer-have', (_session, rendition, sequences) =>
        this.scheduler.onPeerHave(rendition, sequences),
      );
      this.peers.on('peer-signed', (session, rendition, hash) => {
        void this.integrity?.acceptSigned(rendition, hash).then((outcome) => {
          if (outcome === 'added') {
            this.scheduler.wakeAll();
            this.parts.segmentSigned(rendition);
          }
          if (outcome === 'forged' && !this.peers?.isBanned(session.remotePeerId)) {
            this.counters.integrityFailures++;
            this.platform.log?.('warn', 'peer sent a forged signed entry: dropped and reported', {
              component: 'engine',
              peerId: session.remotePeerId,
              segment: `${rendition}/${hash.sequence}`,
            });
            this.peers?.ban(session.remotePeerId, 'integrity', hash.sequence);
          }
        });
      });
      this.peers.on('peer-connected', (session) => {
        this.scheduler.wakeAll();
        this.updatePolling();
        this.emit('peer-connected', session.remotePeerId);
      });
      this.peers.on('peer-closed', (peerId, reason) => {
        this.scheduler.wakeAll();
        this.updatePolling();
        this.emit('peer-closed', peerId, reason);
      });
      this.peers.on('discovery', () => this.scheduler.wakeAll());
      this.peers.on('uploaded', (bytes) => {
        this.counters.uploadedBytes += bytes;
      });
    }
  }

  /** A peer sent a forged part entry or a part that failed its hash: dropped and reported. */
  private onBadPartPeer(peerId: string, rendition: string, sequence: number): void {
    if (this.peers?.isBanned(peerId)) return;
    this.counters.integrityFailures++;
    this.platform.log?.('warn', 'peer sent a bad LL part: dropped and reported', {
      component: 'engine',
      peerId,
      segment: `${rendition}/${sequence}`,
    });
    this.peers?.ban(peerId, 'integrity', sequence);
  }

  private scheduleBeacon(): void {
    if (!this.tracker || this.config.beaconIntervalMs <= 0 || this.destroyed) return;
    this.beaconTimer = this.platform.clock.setTimeout(() => {
      this.beaconTimer = null;
      this.sendBeacon();
      this.scheduleBeacon();
    }, this.config.beaconIntervalMs);
  }

  private sendBeacon(): void {
    if (!this.tracker || this.activeRendition === null || this.destroyed) return;
    this.tracker.beacon(this.swarmIdOf(this.activeRendition), beaconOf(this.stats));
  }

  /**
   * The live fetcher of one of the next segments (elected, or the reachable stand-in its
   * connected peers count on, see `live-role.ts`) reads the media playlist itself every
   * `livePlaylistPollMs`, so it sees that segment (and fetches it for the swarm) without
   * waiting for the player's reload. Only those poll: every candidate polling would make the
   * swarm ask the edge for the playlist more often than the same viewers without P2P.
   */
  private updatePolling(): void {
    const rendition = this.activeRendition;
    const playlist = rendition === null ? undefined : this.playlists.get(rendition);
    const swarmId = rendition === null ? null : this.swarmIdOf(rendition);
    const election = swarmId === null ? undefined : this.elections.get(swarmId);
    const localId = this.tracker?.peerId ?? null;
    let electedSoon = false;
    // A viewer playing parts fetches no segment whole (see prefetch-plan.ts): nothing to poll for.
    const playsParts = this.parts.playsParts();
    if (playlist?.live && election && rendition !== null && localId !== null && !playsParts) {
      // Two ahead, not one: a peer hears of the segment before its turn through its player's
      // reload, up to a target duration late, and must still be polling when its turn comes.
      for (let ahead = 1; ahead <= POLL_LOOKAHEAD_SEGMENTS && !electedSoon; ahead++) {
        const sequence = playlist.lastSequence + ahead;
        electedSoon =
          election.fetchers.length > 0 &&
          this.scheduler.liveRole({ rendition, sequence }) === 'fetcher';
      }
    }
    const shouldPoll = !this.destroyed && this.config.livePlaylistPollMs > 0 && electedSoon;
    if (shouldPoll && this.pollTimer === null && !this.polling) this.schedulePoll();
    if (!shouldPoll && this.pollTimer !== null) {
      this.platform.clock.clearTimeout(this.pollTimer);
      this.pollTimer = null;
    }
  }

  private schedulePoll(): void {
    this.pollTimer = this.platform.clock.setTimeout(() => {
      this.pollTimer = null;
      void this.pollOnce().finally(() => {
        this.polling = false;
        this.updatePolling();
      });
    }, this.config.livePlaylistPollMs);
  }

  private async pollOnce(): Promise<void> {
    const rendition = this.activeRendition;
    const playlist = rendition === null ? undefined : this.playlists.get(rendition);
    // It may have started playing parts since the poll was set (then it stops, see above).
    if (!playlist || rendition === null || this.parts.playsParts()) return;
    this.polling = true;
    let parsed: ReturnType<typeof parseMediaPlaylist>;
    try {
      const response = await this.platform.http.get({ url: playlist.playlistUrl }).promise;
      // The whole body, decoded as UTF-8: the newest entries are at its end.
      parsed = parseMediaPlaylist(playlistText(response.bytes, this.decodeUtf8));
    } catch (error) {
      this.platform.log?.('debug', 'live playlist poll failed', {
        component: 'engine',
        error: error instanceof Error ? error.message : String(error),
      });
      return;
    }
    if (!parsed || this.destroyed) return;
    const segments = newLiveSegments(playlist, parsed);
    if (segments.length > 0) {
      this.setPlaylist({ rendition, playlistUrl: playlist.playlistUrl, live: true, segments });
    }
  }
}

export { EngineError };
