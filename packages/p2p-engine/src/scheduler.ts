import { formatSwarmId, isElectedFetcher, type ElectionMessage } from '@coral-cdn/protocol';
import type { EngineConfig } from './config.js';
import { AbortedError, EngineError, isAborted } from './errors.js';
import type { IntegrityRegistry } from './integrity.js';
import type { Cancelable, EnginePlatform, TimerId } from './platform.js';
import type { PlaybackClock } from './playback-clock.js';
import type { PeerManager } from './peer-manager.js';
import type { PeerSession } from './peer-session.js';
import type { PlaylistState, SegmentInfo } from './playlist-state.js';
import { segmentKey, type SegmentKey } from './segment-key.js';
import type {
  SegmentSource,
  SegmentStore,
  StoredSegment,
  TransferTiming,
} from './segment-store.js';
import type { StartupHold } from './startup-hold.js';
import type { CdnReason, StatsCounters } from './stats.js';
import { ThroughputEstimator } from './throughput.js';

export interface SegmentRequest {
  rendition: string;
  sequence: number;
  url: string;
  startSec: number;
  durationSec: number;
  /**
   * Bytes of this segment received so far (from any source), as they arrive; `totalBytes`
   * when known (the signed size). Never decreases.
   */
  onProgress?: (loadedBytes: number, totalBytes: number | null) => void;
}

export interface SegmentResult {
  bytes: Uint8Array;
  source: SegmentSource;
  /** Why the CDN was asked for any of its bytes (null: all from peers): see `CdnReason`. */
  cdnReason: CdnReason | null;
  /** The real transfer (which may have begun before the player asked, for a prefetch). */
  timing: TransferTiming;
  /** The player's request was answered from memory, with no transfer of its own. */
  fromStore: boolean;
}

/** Per-segment choices, explained in DESIGN.md's "Where offload comes from". */
type Decision =
  | { kind: 'peer'; session: PeerSession }
  | { kind: 'http'; reason: CdnReason }
  | { kind: 'wait'; untilMs: number }
  | { kind: 'abandon' };

/** Latency allowances added to throughput projections, ms. */
const PEER_REQUEST_LATENCY_MS = 60;
const HTTP_REQUEST_LATENCY_MS = 150;
/**
 * A live segment's signed entry comes with its first holder's HAVE; a viewer without it fetches
 * the manifest itself only this long before it would have to go to the CDN (time to fetch and
 * check a manifest of a live window, a few KB).
 */
const MANIFEST_FETCH_ALLOWANCE_MS = 500;
/** Peer downloads in flight from one peer before another holder is preferred. */
const MAX_DOWNLOADS_PER_PEER = 2;
/** How often a running peer transfer is checked against its deadline. */
const WATCHDOG_INTERVAL_MS = 100;
/** A CDN segment whose signed hash was not known is checked again this often (× attempt). */
const BACKGROUND_VERIFY_RETRY_MS = 5_000;
const BACKGROUND_VERIFY_ATTEMPTS = 4;
/**
 * Live, with peers and a manifest that answers, much sooner: the playlist and the manifest are
 * cached apart (at an edge, each for up to a second), so a fetcher can see a segment before the
 * manifest that signs it, and its peers wait for its HAVE, which comes only once the copy is
 * verified. Every 250 ms (the manifest's own refetch limit) for 4 s: after that the segment is
 * of little use to peers anyway.
 */
const LIVE_VERIFY_RETRY_MS = 250;
const LIVE_VERIFY_ATTEMPTS = 16;
/** Before judging a transfer by its own rate, let it move this much. */
const MIN_BYTES_FOR_RATE = 32 * 1024;

interface Waiter {
  resolve: (result: SegmentResult) => void;
  reject: (error: Error) => void;
  onProgress?: ((loadedBytes: number, totalBytes: number | null) => void) | undefined;
  reportedBytes: number;
}

class Download {
  readonly key: SegmentKey;
  readonly waiters = new Set<Waiter>();
  readonly failedPeers = new Set<string>();
  readonly contributors = new Set<string>();
  playerRequested = false;
  canceled = false;
  forceHttp = false;
  /** Why the CDN was asked (the first reason; counted once per download). */
  cdnReason: CdnReason | null = null;
  /** Earliest deadline seen: it only ever moves earlier (a paused player does not push it out). */
  deadlineMs = Infinity;
  /** A fetch of the integrity manifest is under way on this download's behalf. */
  integrityPending = false;
  sink: Uint8Array | null = null;
  filledBytes = 0;
  /** Bytes of the sink that came from peers / over HTTP. */
  p2pBytes = 0;
  httpBytes = 0;
  startedAtMs = 0;
  firstByteAtMs: number | null = null;
  cancelCurrent: (() => void) | null = null;
  wakeCurrent: (() => void) | null = null;

  constructor(
    readonly info: SegmentInfo,
    readonly reason: 'player' | 'prefetch',
  ) {
    this.key = segmentKey(info.rendition, info.sequence);
  }

  wake(): void {
    this.wakeCurrent?.();
  }

  /** Tell the waiting players how far the bytes reach (monotonic per waiter). */
  progress(loadedBytes: number, totalBytes: number | null): void {
    for (const waiter of this.waiters) {
      if (!waiter.onProgress || loadedBytes <= waiter.reportedBytes) continue;
      waiter.reportedBytes = loadedBytes;
      waiter.onProgress(loadedBytes, totalBytes);
    }
  }

  /** Forget the bytes gathered so far; returns how many of them came from peers. */
  resetBytes(): number {
    const p2pBytes = this.p2pBytes;
    this.sink = null;
    this.filledBytes = 0;
    this.p2pBytes = 0;
    this.httpBytes = 0;
    this.contributors.clear();
    return p2pBytes;
  }
}

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
  /** Running average of segment sizes: the size to plan for before a segment's is known. */
  private typicalSegmentBytes = 1024 * 1024;
  private sizeSamples = 0;
  private tickTimer: TimerId | null = null;
  private destroyed = false;

  constructor(private readonly deps: SchedulerDeps) {
    this.httpThroughput = new ThroughputEstimator(deps.config.initialHttpThroughputBytesPerSec);
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
    this.keep(info, bytes, 'http', timing, {
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
   */
  liveRole(info: Pick<SegmentInfo, 'rendition' | 'sequence'>): LiveRole {
    const playlist = this.deps.playlists.get(info.rendition);
    if (!playlist?.live) return 'vod';
    const localId = this.deps.localPeerId();
    const swarmId = formatSwarmId({ streamId: this.deps.streamId, rendition: info.rendition });
    const election = this.deps.election(swarmId);
    if (!election || !localId || !this.deps.peers || this.deps.peers.connectedCount === 0)
      return 'alone';
    if (election.fetchers.length === 0) return 'fetcher';
    // The election is for segments as they appear. What was already published when this
    // viewer came, its peers hold: it waits for them (within the deadline) like any waiter.
    if (this.deps.playlists.wasListedAtLoad(info.rendition, info.sequence)) return 'waiter';
    return isElectedFetcher(election, swarmId, info.sequence, localId) ? 'fetcher' : 'waiter';
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.tickTimer !== null) this.deps.platform.clock.clearTimeout(this.tickTimer);
    for (const download of [...this.downloads.values()]) this.cancelDownload(download, 'destroyed');
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
    const horizonSec = playlist.live ? Infinity : position + config.prefetchAheadSec;
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
      const role = this.liveRole(info);
      if (role === 'fetcher') {
        // Elected: fetch the new live segment from the CDN now, so peers can take it from us.
        this.start(info, 'prefetch');
        continue;
      }
      if (peerPrefetches >= config.prefetchConcurrency) continue;
      const entry = this.deps.integrity?.known(info.rendition, info.sequence);
      if (!entry) continue;
      const session = this.pickHolder(info, new Set());
      if (!session) continue;
      const slackMs = playback.deadlineMs(info.startSec, now) - now - config.safetyMarginMs;
      if (session.throughput.projectMs(entry.sizeBytes) + PEER_REQUEST_LATENCY_MS >= slackMs)
        continue;
      this.start(info, 'prefetch');
      peerPrefetches++;
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
          await this.waitUntil(download, decision.untilMs);
          continue;
        case 'peer': {
          const done = await this.fromPeer(download, decision.session);
          if (!done) continue;
          break;
        }
        case 'http':
          if (download.cdnReason === null) {
            download.cdnReason = decision.reason;
            this.deps.stats.cdnReasons[decision.reason]++;
          }
          await this.fromHttp(download);
          break;
      }
      const stored = await this.verifyAndStore(download);
      if (stored) return stored;
    }
  }

  private decide(download: Download): Decision {
    const { config, platform } = this.deps;
    const info = download.info;
    if (!config.p2pEnabled || !this.deps.peers) return http('alone');
    if (download.forceHttp) return http('fallback');
    const entry = this.deps.integrity?.known(info.rendition, info.sequence);
    const role = this.liveRole(info);
    // Elected or alone: the CDN is this viewer's own source when no peer serves the segment.
    const ownCdn = ownCdnReason(role);
    // A prefetch nobody asked for yet, when no peer serves it: the elected or lone viewer takes
    // it from the CDN, anyone else drops it.
    const prefetchFallback: Decision | null =
      download.reason === 'prefetch' && !download.playerRequested
        ? ownCdn
          ? http(ownCdn)
          : { kind: 'abandon' }
        : null;
    // Before the first frame no peer is connected and no hash is fetched: a lone viewer.
    if (this.deps.hold.holding) return prefetchFallback ?? http('alone');
    const now = platform.clock.now();
    const deadlineMs = this.deadlineOf(download, now);
    // Still finding peers, after the first frame: before it the viewer is waiting on this
    // segment (and, live, its playhead was not even placed, so its deadlines meant nothing).
    const connecting = this.isConnecting(role) && this.deps.playback.started;
    if (!entry) {
      // Without a signed hash, peer bytes cannot be checked. A live segment's hash is signed as
      // it is published, and every hash is first fetched as the first frame shows: fetch the
      // manifest and wait for it while the deadline allows (a viewer alone only while it is
      // still connecting); otherwise this segment comes from the CDN.
      if (prefetchFallback) return prefetchFallback;
      const httpMs =
        this.httpThroughput.projectMs(this.typicalSegmentBytes) + HTTP_REQUEST_LATENCY_MS;
      const waitUntilMs = deadlineMs - config.safetyMarginMs - httpMs;
      const integrity = this.deps.integrity;
      if (ownCdn && !connecting) return http(ownCdn);
      if (!integrity?.mayStillSign(info.rendition) || now >= waitUntilMs) return http('unsigned');
      // Live, the peer that first holds the segment sends its signed entry (a SIGNED frame, see
      // the engine): the manifest is fetched only when that is late. A VOD hash comes only with
      // its manifest.
      const entryFromPeersUntilMs =
        role === 'vod' ? now : waitUntilMs - MANIFEST_FETCH_ALLOWANCE_MS;
      if (now < entryFromPeersUntilMs) return { kind: 'wait', untilMs: entryFromPeersUntilMs };
      if (!download.integrityPending) {
        download.integrityPending = true;
        void integrity.entry(info.rendition, info.sequence).finally(() => {
          download.integrityPending = false;
          download.wake();
        });
      }
      return { kind: 'wait', untilMs: waitUntilMs };
    }
    const slackMs = deadlineMs - now - config.safetyMarginMs;
    const remainingBytes = entry.sizeBytes - download.filledBytes;
    // A peer that holds it is asked first, even by an elected fetcher: the election is for
    // segments nobody has yet (a joiner is elected for old ones too).
    const session = this.pickHolder(info, download.failedPeers);
    if (session && session.throughput.projectMs(remainingBytes) + PEER_REQUEST_LATENCY_MS < slackMs)
      return { kind: 'peer', session };
    if (prefetchFallback) return prefetchFallback;
    // Live waiters wait for the elected fetcher's copy; a viewer still connecting to peers
    // waits for them to say what they hold (a live joiner's segments are ones its peers
    // already have). Both only while the CDN could still deliver in time, and only after the
    // first frame.
    if (
      (role === 'waiter' || connecting) &&
      download.filledBytes === 0 &&
      this.deps.playback.started
    ) {
      const httpMs = this.httpThroughput.projectMs(remainingBytes) + HTTP_REQUEST_LATENCY_MS;
      const waitUntilMs = deadlineMs - config.safetyMarginMs - httpMs;
      if (now < waitUntilMs) return { kind: 'wait', untilMs: waitUntilMs };
    }
    if (ownCdn) return http(ownCdn);
    return http(this.deps.peers.connectedCount === 0 ? 'alone' : 'deadline');
  }

  /** Still finding peers: a VOD viewer, or a live one with none connected yet. */
  private isConnecting(role: LiveRole): boolean {
    const peers = this.deps.peers;
    if (!peers?.discovering) return false;
    return role === 'vod' || peers.connectedCount === 0;
  }

  private deadlineOf(download: Download, nowMs: number): number {
    const { playback, playlists } = this.deps;
    // Before a live player has placed its playhead, what it asks for is its start: urgent.
    const unplacedLive = !playback.placed && playlists.get(download.info.rendition)?.live === true;
    download.deadlineMs = Math.min(
      download.deadlineMs,
      unplacedLive ? nowMs : playback.deadlineMs(download.info.startSec, nowMs),
    );
    return download.deadlineMs;
  }

  private pickHolder(info: SegmentInfo, exclude: ReadonlySet<string>): PeerSession | undefined {
    const holders = this.deps.peers?.holders(info.rendition, info.sequence) ?? [];
    const usable = holders.filter((s) => !exclude.has(s.remotePeerId));
    return usable.find((s) => s.activeDownloads < MAX_DOWNLOADS_PER_PEER) ?? usable[0];
  }

  private waitUntil(download: Download, untilMs: number): Promise<void> {
    const { clock } = this.deps.platform;
    return new Promise((resolve) => {
      const timer = clock.setTimeout(done, Math.max(0, untilMs - clock.now()));
      function done() {
        clock.clearTimeout(timer);
        download.wakeCurrent = null;
        resolve();
      }
      download.wakeCurrent = done;
    });
  }

  /** Fetch from a peer, watched against the deadline. True when all bytes arrived. */
  private async fromPeer(download: Download, session: PeerSession): Promise<boolean> {
    const { config, platform } = this.deps;
    const info = download.info;
    const entry = this.deps.integrity!.known(info.rendition, info.sequence)!;
    if (!download.sink || download.sink.byteLength !== entry.sizeBytes) {
      this.discardBytes(download);
      download.sink = new Uint8Array(entry.sizeBytes);
    }
    const startOffset = download.filledBytes;
    const startedAtMs = platform.clock.now();
    let transferFirstByteAtMs: number | null = null;
    let fellBehind = false;
    const transfer = session.download(info.rendition, info.sequence, {
      sink: download.sink,
      offsetBytes: startOffset,
      onProgress: (filled) => {
        const now = platform.clock.now();
        transferFirstByteAtMs ??= now;
        download.firstByteAtMs ??= now;
        download.p2pBytes += filled - download.filledBytes;
        download.filledBytes = filled;
        download.contributors.add(session.remotePeerId);
        download.progress(filled, entry.sizeBytes);
      },
    });
    download.cancelCurrent = transfer.cancel;
    // A deadline moved earlier (the player asked for a prefetch) is handled by the watchdog too.
    download.wakeCurrent = () => watchdog();
    let timer: TimerId | null = null;
    const watchdog = () => {
      if (timer !== null) platform.clock.clearTimeout(timer);
      timer = null;
      if (download.canceled) return;
      const now = platform.clock.now();
      const remaining = entry.sizeBytes - download.filledBytes;
      const moved = download.filledBytes - startOffset;
      const elapsedMs = Math.max(1, now - startedAtMs);
      // Until enough has moved to measure this transfer, use the peer's estimate, bounded by
      // what the wait so far proves: with no chunk yet, the rate is below one message per
      // elapsed time.
      const rate =
        transferFirstByteAtMs !== null && moved >= MIN_BYTES_FOR_RATE
          ? (moved * 1000) / Math.max(1, now - transferFirstByteAtMs)
          : transferFirstByteAtMs === null
            ? Math.min(session.throughput.bytesPerSec, (config.maxMessageBytes * 1000) / elapsedMs)
            : session.throughput.bytesPerSec;
      const latency =
        transferFirstByteAtMs === null
          ? Math.max(0, PEER_REQUEST_LATENCY_MS - (now - startedAtMs))
          : 0;
      const projectedEndMs = now + latency + (remaining * 1000) / Math.max(rate, 1);
      const deadlineMs = this.deadlineOf(download, now);
      const mustFinishByMs = deadlineMs - config.safetyMarginMs;
      const urgent = download.playerRequested || download.reason === 'player';
      if (urgent && projectedEndMs > mustFinishByMs) {
        fellBehind = true;
        transfer.cancel();
        return;
      }
      timer = platform.clock.setTimeout(watchdog, WATCHDOG_INTERVAL_MS);
    };
    watchdog();
    try {
      await transfer.promise;
      return true;
    } catch (error) {
      if (download.canceled) throw new AbortedError();
      if (fellBehind) {
        this.deps.stats.fallbacks++;
        download.forceHttp = true;
        this.log('debug', 'peer transfer behind its deadline: resuming over HTTP', {
          segment: download.key,
          peerId: session.remotePeerId,
          filledBytes: download.filledBytes,
        });
        return false;
      }
      const code = error instanceof EngineError ? error.code : 'network_error';
      download.failedPeers.add(session.remotePeerId);
      if (code === 'peer_protocol')
        this.deps.peers?.ban(session.remotePeerId, 'protocol', info.sequence);
      // Bytes from a peer banned meanwhile (bad bytes on another segment) are not finished by
      // someone else: a bad prefix would fail the whole segment and get the innocent peer
      // that completed it banned too.
      if ([...download.contributors].some((peerId) => this.deps.peers?.isBanned(peerId))) {
        this.discardBytes(download);
        return false;
      }
      if (code === 'peer_timeout' && download.filledBytes > 0) {
        this.deps.stats.fallbacks++;
        download.forceHttp = true;
      }
      return false;
    } finally {
      if (timer !== null) platform.clock.clearTimeout(timer);
      download.cancelCurrent = null;
      download.wakeCurrent = null;
    }
  }

  /** Fetch the segment, or its remainder after peer bytes, from the CDN. */
  private async fromHttp(download: Download): Promise<void> {
    const { platform, stats } = this.deps;
    const info = download.info;
    const offset = download.filledBytes;
    const startedAtMs = platform.clock.now();
    let received = 0;
    const request = platform.http.get({
      url: info.url,
      ...(offset > 0 ? { rangeStartBytes: offset } : {}),
      onProgress: (loaded) => {
        stats.httpBytes += loaded - received;
        received = loaded;
        download.progress(
          offset + loaded,
          this.deps.integrity?.known(info.rendition, info.sequence)?.sizeBytes ?? null,
        );
      },
    });
    download.cancelCurrent = request.cancel;
    try {
      const response = await request.promise;
      stats.httpBytes += response.bytes.byteLength - received;
      download.firstByteAtMs ??= response.firstByteAtMs;
      this.httpThroughput.add(response.bytes.byteLength, platform.clock.now() - startedAtMs);
      if (
        offset > 0 &&
        response.status === 206 &&
        download.sink &&
        offset + response.bytes.byteLength === download.sink.byteLength
      ) {
        download.sink.set(response.bytes, offset);
        download.httpBytes += response.bytes.byteLength;
      } else {
        // A full body (no Range support, or nothing received before): it replaces any peer bytes.
        this.discardBytes(download);
        download.sink = response.bytes;
        download.httpBytes = response.bytes.byteLength;
      }
      download.filledBytes = download.sink.byteLength;
    } catch (error) {
      if (download.canceled) throw new AbortedError();
      throw error;
    } finally {
      download.cancelCurrent = null;
    }
  }

  /** Verify and keep the bytes; null when peer bytes were bad (the caller retries over HTTP). */
  private async verifyAndStore(download: Download): Promise<StoredSegment | null> {
    const { stats, integrity, platform, config } = this.deps;
    const info = download.info;
    const bytes = download.sink!;
    let verified = false;
    // CDN bytes need no check to be played, only to be shared: the player gets them now and
    // `keep` checks them in the background (at once when the signed hash is known, else when
    // the manifest has it). Checking first cost the player a digest and its thread hops per
    // segment, which a busy page pays in start-up time.
    if (integrity && config.integrityEnabled && download.p2pBytes > 0) {
      try {
        await integrity.verify(info.rendition, info.sequence, bytes);
        verified = true;
      } catch (error) {
        if (download.canceled) throw new AbortedError();
        // Peer bytes that cannot be verified never reach the player.
        const code = error instanceof EngineError ? error.code : 'integrity';
        if (code === 'integrity') {
          stats.integrityFailures++;
          for (const peerId of download.contributors)
            this.deps.peers?.ban(peerId, 'integrity', info.sequence);
          this.log('warn', 'peer sent bad bytes: dropped and reported', {
            segment: download.key,
            peers: [...download.contributors],
          });
        }
        for (const peerId of download.contributors) download.failedPeers.add(peerId);
        this.discardBytes(download);
        download.forceHttp = true;
        return null;
      }
    }
    if (download.canceled) throw new AbortedError();
    const source: SegmentSource =
      download.p2pBytes > 0 && download.httpBytes > 0
        ? 'mixed'
        : download.p2pBytes > 0
          ? 'p2p'
          : 'http';
    stats.p2pBytes += download.p2pBytes;
    if (source === 'mixed') stats.segmentsMixed++;
    else if (source === 'p2p') stats.segmentsFromP2p++;
    else stats.segmentsFromHttp++;
    const prefetched = download.reason === 'prefetch' && !download.playerRequested;
    if (prefetched) stats.prefetchedBytes += bytes.byteLength;
    const endedAtMs = platform.clock.now();
    const timing: TransferTiming = {
      startedAtMs: download.startedAtMs,
      firstByteAtMs: download.firstByteAtMs ?? endedAtMs,
      endedAtMs,
    };
    // A CDN decision whose bytes were thrown away (a peer finished the segment) is no reason.
    const cdnReason = source === 'p2p' ? null : download.cdnReason;
    const stored = this.keep(info, bytes, source, timing, {
      cdnReason,
      verified,
      prefetched: download.reason === 'prefetch',
      played: download.playerRequested,
    });
    return (
      stored ?? {
        key: download.key,
        rendition: info.rendition,
        sequence: info.sequence,
        bytes,
        source,
        cdnReason,
        timing,
        verified,
        prefetched: false,
        played: true,
      }
    );
  }

  /**
   * Store a segment's bytes (null: larger than the whole store) and learn its size. Bytes not
   * verified yet (the CDN's) are checked in the background and shared only once they pass;
   * with integrity off they are shared as they are.
   */
  private keep(
    info: SegmentInfo,
    bytes: Uint8Array,
    source: SegmentSource,
    timing: TransferTiming,
    flags: Pick<StoredSegment, 'cdnReason' | 'verified' | 'prefetched' | 'played'>,
  ): StoredSegment | null {
    const { store, integrity, config } = this.deps;
    this.sizeSamples++;
    this.typicalSegmentBytes +=
      (bytes.byteLength - this.typicalSegmentBytes) / Math.min(this.sizeSamples, 20);
    const verified = flags.verified || !config.integrityEnabled;
    const stored = store.put({
      rendition: info.rendition,
      sequence: info.sequence,
      bytes,
      source,
      timing,
      ...flags,
      verified,
    });
    if (stored && !verified && integrity !== null) this.verifyInBackground(info, bytes);
    return stored;
  }

  private verifyInBackground(info: SegmentInfo, bytes: Uint8Array, attempt = 0): void {
    const { integrity, store, platform } = this.deps;
    const key = segmentKey(info.rendition, info.sequence);
    integrity!.verify(info.rendition, info.sequence, bytes).then(
      () => {
        if (!this.destroyed) store.markVerified(info.rendition, info.sequence, bytes);
      },
      (error: unknown) => {
        const code = error instanceof EngineError ? error.code : 'integrity';
        const stillHeld = store.peek(info.rendition, info.sequence)?.bytes === bytes;
        // Soon only when it can help: live, the manifest answering (just without this entry
        // yet) and peers to share with. An unreachable manifest is not asked 4 times a second
        // by every viewer holding a CDN copy.
        const soon =
          integrity!.liveManifestAnswering(info.rendition) &&
          (this.deps.peers?.connectedCount ?? 0) > 0 &&
          attempt < LIVE_VERIFY_ATTEMPTS;
        // Not signed yet (or the manifest is unreachable): try again while it is held.
        if (
          code === 'no_integrity_info' &&
          stillHeld &&
          (soon || attempt < BACKGROUND_VERIFY_ATTEMPTS)
        ) {
          platform.clock.setTimeout(
            () => {
              if (!this.destroyed) this.verifyInBackground(info, bytes, attempt + 1);
            },
            soon ? LIVE_VERIFY_RETRY_MS : BACKGROUND_VERIFY_RETRY_MS * (attempt + 1),
          );
          return;
        }
        this.logUnshared(key, code, error);
      },
    );
  }

  /** Throw away the bytes gathered so far, counting the peer bytes among them as discarded. */
  private discardBytes(download: Download): void {
    this.deps.stats.p2pDiscardedBytes += download.resetBytes();
  }

  /** CDN bytes that failed (or never got) their check: the player has them; peers do not. */
  private logUnshared(segment: string, code: string, error: unknown): void {
    this.log(
      code === 'integrity' ? 'warn' : 'debug',
      code === 'integrity'
        ? 'CDN bytes do not match the signed hash: played, not shared'
        : 'CDN segment not verified: played, not shared',
      { segment, error: error instanceof Error ? error.message : String(error) },
    );
  }

  private log(
    level: 'debug' | 'info' | 'warn' | 'error',
    message: string,
    fields?: Record<string, unknown>,
  ): void {
    this.deps.platform.log?.(level, message, { component: 'scheduler', ...fields });
  }
}

function http(reason: CdnReason): Decision {
  return { kind: 'http', reason };
}

type LiveRole = 'vod' | 'alone' | 'fetcher' | 'waiter';

/**
 * Why this viewer takes a segment from the CDN itself when no peer serves it: the elected
 * fetcher, or a viewer alone (no election or no peer). Null: it waits for peers (or drops a
 * prefetch) instead.
 */
function ownCdnReason(role: LiveRole): CdnReason | null {
  return role === 'fetcher' ? 'elected' : role === 'alone' ? 'alone' : null;
}

function resolved<T>(value: T): Cancelable<T> {
  return { promise: Promise.resolve(value), cancel: () => undefined };
}

function rejected<T>(error: Error): Cancelable<T> {
  const promise = Promise.reject(error);
  promise.catch(() => undefined);
  return { promise, cancel: () => undefined };
}
