import { formatSwarmId, type ElectionMessage } from '@coral-cdn/protocol';
import type { EngineConfig } from './config.js';
import { Download, type Waiter } from './download.js';
import { AbortedError, EngineError, isAborted } from './errors.js';
import { fetchFromHttp } from './http-transfer.js';
import type { IntegrityRegistry } from './integrity.js';
import { liveRoleOf } from './live-role.js';
import {
  rejected,
  resolved,
  type Cancelable,
  type EnginePlatform,
  type TimerId,
} from './platform.js';
import type { PlaybackClock } from './playback-clock.js';
import type { PeerManager } from './peer-manager.js';
import type { PeerSession } from './peer-session.js';
import { fetchFromPeer, type TransferContext } from './peer-transfer.js';
import type { PlaylistState, SegmentInfo } from './playlist-state.js';
import { playedAsParts, prefetchHorizonSec, prefetchVerdict } from './prefetch-plan.js';
import {
  decideSegment,
  earliestDeadlineMs,
  type HolderSnapshot,
  type LiveRole,
  type SegmentChoice,
  tailHolder,
} from './segment-decision.js';
import { SegmentKeeper } from './segment-keeper.js';
import { segmentKey, type SegmentKey } from './segment-key.js';
import type { SegmentRequest, SegmentResult } from './segment-request.js';
import type { SegmentStore, StoredSegment, TransferTiming } from './segment-store.js';
import type { StartupHold } from './startup-hold.js';
import type { StatsCounters } from './stats.js';
import { ThroughputEstimator } from './throughput.js';

export type { SegmentRequest, SegmentResult } from './segment-request.js';
export type { LiveRole } from './segment-decision.js';

export interface SchedulerDeps {
  platform: EnginePlatform;
  config: EngineConfig;
  streamId: string;
  store: SegmentStore;
  integrity: IntegrityRegistry | null;
  peers: PeerManager | null;
  /** Before the first frame: no peer is connected, start-up segments come from the CDN. */
  hold: StartupHold;
  playlists: PlaylistState;
  playback: PlaybackClock;
  stats: StatsCounters;
  /** This peer's tracker id (null before it joined). */
  localPeerId: () => string | null;
  /** The tracker's live election for a swarm (null: none known). */
  election: (swarmId: string) => ElectionMessage | null;
  /** Segments of the rendition of which this viewer holds LL parts (it plays them as parts). */
  partSequences: (rendition: string) => readonly number[];
}

/**
 * Decides, per segment and against its deadline, where bytes come from: peers that hold it
 * when their measured throughput can beat the deadline (minus a safety margin), the CDN when
 * not; a running peer transfer that falls behind is cancelled and resumed over HTTP with a
 * Range request from the bytes already received. In a live swarm, the elected fetchers take
 * each new segment from the CDN at once and everyone else waits for peers until waiting longer
 * would endanger the deadline. For VOD, segments ahead of the playhead are prefetched from
 * peers that hold them. Every peer byte is verified before the player sees it.
 */
export class Scheduler {
  readonly httpThroughput: ThroughputEstimator;
  private readonly downloads = new Map<SegmentKey, Download>();
  private activeRendition: string | null = null;
  private tickTimer: TimerId | null = null;
  private destroyed = false;
  private readonly transfers: TransferContext;
  private readonly keeper: SegmentKeeper;

  constructor(private readonly deps: SchedulerDeps) {
    this.httpThroughput = new ThroughputEstimator(deps.config.initialHttpThroughputBytesPerSec);
    const log = this.log.bind(this);
    this.transfers = {
      platform: deps.platform,
      config: deps.config,
      integrity: deps.integrity,
      peers: deps.peers,
      stats: deps.stats,
      deadlineOf: (download, nowMs) => this.deadlineOf(download, nowMs),
      discardBytes: (download) => this.discardBytes(download),
      httpBytesPerSec: () => this.httpThroughput.bytesPerSec,
      tailPeer: (download, fromPeerId, bytes, nowMs) =>
        this.tailPeer(download, fromPeerId, bytes, nowMs),
      log,
    };
    this.keeper = new SegmentKeeper({
      platform: deps.platform,
      config: deps.config,
      store: deps.store,
      integrity: deps.integrity,
      peers: deps.peers,
      stats: deps.stats,
      discardBytes: (download) => this.discardBytes(download),
      log,
    });
  }

  setActiveRendition(rendition: string): void {
    this.activeRendition = rendition;
    this.scheduleTick(0);
  }

  get rendition(): string | null {
    return this.activeRendition;
  }

  /** The player asks for a segment. */
  request(request: SegmentRequest): Cancelable<SegmentResult> {
    const { store, stats } = this.deps;
    if (this.destroyed) return rejected(new EngineError('destroyed', 'engine destroyed'));
    const info = this.deps.playlists.segment(request.rendition, request.sequence) ?? {
      rendition: request.rendition,
      sequence: request.sequence,
      url: request.url,
      startSec: request.startSec,
      durationSec: request.durationSec,
    };
    const stored = store.get(request.rendition, request.sequence);
    if (stored) {
      stored.played = true;
      stats.segmentsFromStore++;
      return resolved({
        bytes: stored.bytes,
        source: stored.source,
        cdnReason: stored.cdnReason,
        timing: stored.timing,
        fromStore: true,
      });
    }
    let download = this.downloads.get(segmentKey(request.rendition, request.sequence));
    if (!download) download = this.start(info, 'player');
    const active = download;
    active.playerRequested = true;
    // The deadline may be earlier than the prefetch assumed: let the download re-decide.
    active.wake();
    let waiter!: Waiter;
    const promise = new Promise<SegmentResult>((resolve, reject) => {
      waiter = { resolve, reject, onProgress: request.onProgress, reportedBytes: 0 };
    });
    active.waiters.add(waiter);
    return {
      promise,
      cancel: () => {
        if (!active.waiters.delete(waiter)) return;
        waiter.reject(new AbortedError(`segment ${active.key} request canceled`));
        if (active.waiters.size === 0 && active.reason === 'player') this.cancelDownload(active);
      },
    };
  }

  /**
   * Should the player's own loader fetch this segment from the CDN? Yes before the first
   * frame, during the start-up hold: no peer can serve it then, so the engine would fetch
   * it from the CDN too; left to the player, start-up takes exactly the path it takes without
   * Coral. Not when the engine holds or is already fetching it.
   */
  leavesToPlayer(rendition: string, sequence: number): boolean {
    const { config, peers, store, hold } = this.deps;
    return (
      !this.destroyed &&
      config.p2pEnabled &&
      peers !== null &&
      hold.holding &&
      hold.needsForFirstFrame(sequence) &&
      !store.has(rendition, sequence) &&
      !this.downloads.has(segmentKey(rendition, sequence))
    );
  }

  /**
   * A segment the player fetched from the CDN itself (see `leavesToPlayer`): counted as CDN
   * bytes (reason `startup`) and kept, to be shared with peers once verified.
   */
  adopt(request: SegmentRequest, bytes: Uint8Array, timing: TransferTiming): void {
    const { stats, store } = this.deps;
    if (this.destroyed) return;
    stats.httpBytes += bytes.byteLength;
    stats.segmentsFromHttp++;
    stats.cdnReasons.startup++;
    if (store.has(request.rendition, request.sequence)) return;
    const info = this.deps.playlists.segment(request.rendition, request.sequence) ?? request;
    this.keeper.keep(info, bytes, 'http', timing, {
      cdnReason: 'startup',
      verified: false,
      prefetched: false,
      played: true,
    });
  }

  /** A peer announced segments: downloads waiting for holders re-decide; prefetch may start. */
  onPeerHave(rendition: string, sequences: readonly number[]): void {
    for (const sequence of sequences) this.downloads.get(segmentKey(rendition, sequence))?.wake();
    this.scheduleTick(0);
  }

  /** The election or the peer set changed: waiting downloads re-decide. */
  wakeAll(): void {
    for (const download of this.downloads.values()) download.wake();
    this.scheduleTick(0);
  }

  /** Run the prefetch pass soon. */
  scheduleTick(delayMs: number): void {
    if (this.destroyed) return;
    if (this.tickTimer !== null) {
      if (delayMs > 0) return;
      this.deps.platform.clock.clearTimeout(this.tickTimer);
    }
    this.tickTimer = this.deps.platform.clock.setTimeout(() => {
      this.tickTimer = null;
      this.tick();
    }, delayMs);
  }

  /** Sequences of the active rendition needed soon (for the tracker's matching). */
  upcomingSequences(rendition: string, count = 16): number[] {
    const position = this.deps.playback.positionAt(this.deps.platform.clock.now()) ?? 0;
    return this.deps.playlists
      .segmentsBetween(rendition, position, Infinity)
      .filter((s) => !this.deps.store.has(rendition, s.sequence))
      .slice(0, count)
      .map((s) => s.sequence);
  }

  /**
   * A segment's live role: `fetcher` (elected to take it from the CDN for the swarm), `waiter`
   * (a peer will have it), or `alone` (no election or no connected peer: a plain CDN player).
   * `forParts`: the role for its LL-HLS parts, counting only on peers that play parts.
   */
  liveRole(info: Pick<SegmentInfo, 'rendition' | 'sequence'>, forParts = false): LiveRole {
    const { playlists, peers } = this.deps;
    const live = playlists.get(info.rendition)?.live === true;
    const swarmId = formatSwarmId({ streamId: this.deps.streamId, rendition: info.rendition });
    return liveRoleOf({
      live,
      swarmId,
      sequence: info.sequence,
      election: live ? this.deps.election(swarmId) : null,
      localPeerId: this.deps.localPeerId(),
      hasPeers: peers !== null,
      connectedPeerIds: peers?.sessions.map((session) => session.remotePeerId) ?? [],
      partPlayerIds: forParts
        ? (peers?.sessions.filter((s) => !s.playsWholeSegmentsOnly).map((s) => s.remotePeerId) ??
          [])
        : null,
      listedAtLoad: live && playlists.wasListedAtLoad(info.rendition, info.sequence),
    });
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.tickTimer !== null) this.deps.platform.clock.clearTimeout(this.tickTimer);
    for (const download of [...this.downloads.values()]) this.cancelDownload(download, 'destroyed');
    this.keeper.destroy();
  }

  // ---- prefetch ------------------------------------------------------------------------

  private tick(): void {
    const { config, playlists, store, peers, playback, platform } = this.deps;
    if (this.destroyed || !config.p2pEnabled || !peers || this.activeRendition === null) return;
    const playlist = playlists.get(this.activeRendition);
    if (!playlist) return;
    const now = platform.clock.now();
    const position = playback.positionAt(now);
    // A live player reports 0 until it seeks to the live start: nothing to prefetch yet.
    if (position === null || (playlist.live && !playback.placed)) return;
    const horizonSec = prefetchHorizonSec(playlist.live, position, config.prefetchAheadSec);
    const partSequences = this.deps.partSequences(this.activeRendition);
    let peerPrefetches = [...this.downloads.values()].filter(
      (d) => d.reason === 'prefetch' && !d.playerRequested,
    ).length;
    for (const info of playlists.segmentsBetween(this.activeRendition, position, horizonSec)) {
      if (
        store.has(info.rendition, info.sequence) ||
        this.downloads.has(segmentKey(info.rendition, info.sequence))
      ) {
        continue;
      }
      const verdict = prefetchVerdict({
        role: this.liveRole(info),
        playedAsParts: playedAsParts(partSequences, info.sequence),
        runningPeerPrefetches: peerPrefetches,
        prefetchConcurrency: config.prefetchConcurrency,
        signedSizeBytes:
          this.deps.integrity?.known(info.rendition, info.sequence)?.sizeBytes ?? null,
        holders: this.holders(info),
        nowMs: now,
        deadlineMs: playback.deadlineMs(info.startSec, now),
        safetyMarginMs: config.safetyMarginMs,
      });
      if (verdict === 'skip') continue;
      this.start(info, 'prefetch');
      if (verdict === 'peer') peerPrefetches++;
    }
  }

  // ---- one segment ---------------------------------------------------------------------

  private start(info: SegmentInfo, reason: Download['reason']): Download {
    const download = new Download(info, reason);
    download.startedAtMs = this.deps.platform.clock.now();
    this.downloads.set(download.key, download);
    void this.run(download).then(
      (stored) => this.finish(download, stored, null),
      (error: unknown) =>
        this.finish(download, null, error instanceof Error ? error : new Error(String(error))),
    );
    return download;
  }

  private finish(download: Download, stored: StoredSegment | null, error: Error | null): void {
    if (this.downloads.get(download.key) === download) this.downloads.delete(download.key);
    for (const waiter of download.waiters) {
      if (stored) {
        waiter.resolve({
          bytes: stored.bytes,
          source: stored.source,
          cdnReason: stored.cdnReason,
          timing: stored.timing,
          fromStore: false,
        });
      } else {
        waiter.reject(error ?? new EngineError('network_error', `segment ${download.key} failed`));
      }
    }
    download.waiters.clear();
    if (error && !isAborted(error)) {
      this.log('warn', 'segment load failed', { segment: download.key, error: error.message });
    }
    this.scheduleTick(0);
  }

  private cancelDownload(download: Download, code: 'aborted' | 'destroyed' = 'aborted'): void {
    if (download.canceled) return;
    download.canceled = true;
    download.cancelCurrent?.();
    download.wake();
    const error =
      code === 'destroyed' ? new EngineError('destroyed', 'engine destroyed') : new AbortedError();
    for (const waiter of download.waiters) waiter.reject(error);
    download.waiters.clear();
    if (this.downloads.get(download.key) === download) this.downloads.delete(download.key);
  }

  private async run(download: Download): Promise<StoredSegment> {
    for (;;) {
      if (download.canceled) throw new AbortedError();
      const decision = this.decide(download);
      switch (decision.kind) {
        case 'abandon':
          throw new AbortedError(`prefetch of ${download.key} abandoned`);
        case 'wait':
          await download.sleepUntil(this.deps.platform.clock, decision.untilMs);
          continue;
        case 'peer':
        case 'split': {
          const session = this.deps.peers?.session(decision.peerId);
          if (!session) continue;
          const tail = decision.kind === 'split' ? this.tailSource(download, decision) : null;
          const done = await fetchFromPeer(this.transfers, download, session, tail);
          if (!done) continue;
          break;
        }
        case 'http':
          download.noteCdnReason(decision.reason, this.deps.stats.cdnReasons);
          await fetchFromHttp(this.transfers, download, this.httpThroughput);
          break;
      }
      const stored = await this.keeper.verifyAndStore(download);
      if (stored) return stored;
    }
  }

  /** A second holder to take the tail of a transfer from `fromPeerId` that fell behind. */
  private tailPeer(
    download: Download,
    fromPeerId: string,
    bytes: number,
    nowMs: number,
  ): PeerSession | null {
    const exclude = new Set([...download.failedPeers, fromPeerId]);
    const slackMs = this.deadlineOf(download, nowMs) - nowMs - this.deps.config.safetyMarginMs;
    const holder = tailHolder(this.holders(download.info), exclude, bytes, slackMs);
    return holder ? (this.deps.peers?.session(holder.peerId) ?? null) : null;
  }

  /** Where a split's tail comes from: its second peer if still connected, else the CDN. */
  private tailSource(
    download: Download,
    split: Extract<SegmentChoice, { kind: 'split' }>,
  ): { fromBytes: number; peer: PeerSession | null } {
    const peer =
      split.tailPeerId === null ? null : (this.deps.peers?.session(split.tailPeerId) ?? null);
    // Part of it comes from the CDN from the start: no pair of peers could carry it in time.
    if (!peer) download.noteCdnReason('deadline', this.deps.stats.cdnReasons);
    return { fromBytes: split.tailFromBytes, peer };
  }

  /** Snapshot the download's world, decide, store the new deadline and act on the intents. */
  private decide(download: Download): SegmentChoice {
    const { config, platform, peers, integrity, playback, hold } = this.deps;
    const info = download.info;
    const now = platform.clock.now();
    const p2pEnabled = config.p2pEnabled && peers !== null;
    const decision = decideSegment({
      nowMs: now,
      p2pEnabled,
      forceHttp: download.forceHttp,
      unrequestedPrefetch: download.reason === 'prefetch' && !download.playerRequested,
      playedAsParts: playedAsParts(this.deps.partSequences(info.rendition), info.sequence),
      startupHold: hold.holding,
      firstFrameSegment: hold.holding && hold.needsForFirstFrame(info.sequence),
      role: p2pEnabled ? this.liveRole(info) : 'alone',
      knownDeadlineMs: download.deadlineMs,
      playbackDeadlineMs: this.playbackDeadlineMs(download, now),
      safetyMarginMs: config.safetyMarginMs,
      playbackStarted: playback.started,
      discovering: peers?.discovering ?? false,
      connectedCount: peers?.connectedCount ?? 0,
      signedSizeBytes: integrity?.known(info.rendition, info.sequence)?.sizeBytes ?? null,
      filledBytes: download.filledBytes,
      holders: this.holders(info),
      failedPeers: download.failedPeers,
      httpBytesPerSec: this.httpThroughput.bytesPerSec,
      typicalSegmentBytes: this.keeper.typicalSegmentBytes,
      maySign: integrity?.mayStillSign(info.rendition) ?? false,
      manifestPending: download.integrityPending,
    });
    download.deadlineMs = decision.deadlineMs;
    for (const intent of decision.intents) {
      if (intent.kind === 'fetch-manifest' && integrity && !download.integrityPending) {
        download.integrityPending = true;
        void integrity.entry(info.rendition, info.sequence).finally(() => {
          download.integrityPending = false;
          download.wake();
        });
      }
    }
    return decision.choice;
  }

  /** When the playhead reaches the segment, by the playback clock of now. */
  private playbackDeadlineMs(download: Download, nowMs: number): number {
    const { playback, playlists } = this.deps;
    // Before a live player has placed its playhead, what it asks for is its start: urgent.
    const unplacedLive = !playback.placed && playlists.get(download.info.rendition)?.live === true;
    return unplacedLive ? nowMs : playback.deadlineMs(download.info.startSec, nowMs);
  }

  private deadlineOf(download: Download, nowMs: number): number {
    download.deadlineMs = earliestDeadlineMs(
      download.deadlineMs,
      this.playbackDeadlineMs(download, nowMs),
    );
    return download.deadlineMs;
  }

  /** The segment's holders as the decision sees them (fastest first). */
  private holders(info: SegmentInfo): HolderSnapshot[] {
    const sessions: readonly PeerSession[] =
      this.deps.peers?.holders(info.rendition, info.sequence) ?? [];
    return sessions.map((session) => ({
      peerId: session.remotePeerId,
      bytesPerSec: session.throughput.bytesPerSec,
      activeDownloads: session.activeDownloads,
      rttMs: session.pathRttMs,
    }));
  }

  /** Throw away the bytes gathered so far, counting the peer bytes among them as discarded. */
  private discardBytes(download: Download): void {
    this.deps.stats.p2pDiscardedBytes += download.resetBytes();
  }

  private log(
    level: 'debug' | 'info' | 'warn' | 'error',
    message: string,
    fields?: Record<string, unknown>,
  ): void {
    this.deps.platform.log?.(level, message, { component: 'scheduler', ...fields });
  }
}
