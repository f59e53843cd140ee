import {
  renditionOfPlaylistUrl,
  type Clock,
  type CdnReason,
  type CoralEngine,
  type PlayerEngine,
  type PartRequest,
  type SegmentRequest,
  type SegmentResult,
  type SegmentSource,
  type TimerId,
  type TransferTiming,
} from '@coral-cdn/p2p-engine';
import type Hls from 'hls.js';
import type {
  Fragment,
  FragmentLoaderContext,
  HlsConfig,
  HlsListeners,
  LevelDetails,
  LoaderStats,
} from 'hls.js';
import { DoubleLoadTracker } from './double-loads.js';
import { createFragmentLoaderClass } from './fragment-loader.js';
import { transferTimingOf } from './loader-stats.js';
import { PlaybackObserver, type MediaLike, type PlaybackQoe } from './playback-observer.js';
import { createPlaylistLoaderClass } from './playlist-loader.js';
import type { P2pUnavailableReason } from './browser-platform.js';
import type { SegmentRouter } from './router.js';
import { emptyEngineStats, type CoralStats } from './stats.js';

/** What the integration drives: a `CoralEngine`, or anything with its player-facing methods. */
export type CoralEngineLike = PlayerEngine &
  Pick<CoralEngine, 'stats' | 'config' | 'leavesToPlayer' | 'adoptSegment'> &
  Partial<Pick<CoralEngine, 'loadPart'>> & {
    /** A stand-in still waiting for the engine (`DeferredEngine`): it loads no parts yet. */
    readonly waiting?: boolean;
  };

export interface CoralHlsIntegrationOptions {
  /** The engine for this stream; null means P2P off: no loaders, hls.js exactly as without Coral. */
  engine: CoralEngineLike | null;
  /** Defaults to `performance.now` and the global timers (the same clock hls.js measures with). */
  clock?: Clock;
  /** Called for every fragment the engine hands to hls.js: where it came from, and its bytes. */
  onSegment?: (delivery: SegmentDelivery) => void;
  /**
   * Start-up is measured from this time on `clock` (a page that starts playing on load passes
   * 0: navigation start on `performance.now`); default: the viewer's play request, or attaching.
   */
  startupOriginMs?: number;
  /** P2P was asked for but this page cannot do it (reported in `stats.p2pUnavailable`). */
  p2pUnavailable?: P2pUnavailableReason | null;
}

/** One fragment the engine delivered to hls.js. */
export interface SegmentDelivery {
  rendition: string;
  sequence: number;
  url: string;
  /** `p2p` and `mixed` bytes were verified against the origin's signed hash before this. */
  source: SegmentSource;
  /**
   * Why the CDN was asked for its bytes (null: all came from peers): `startup` (before the
   * first frame), `alone`, `elected` (this viewer fetches it for the live swarm), `deadline` (no
   * peer could deliver in time), `unsigned` (no signed hash to check peer bytes against) or
   * `fallback` (a peer transfer failed).
   */
  cdnReason: CdnReason | null;
  /** Answered from the engine's memory (prefetched, or held for peers). */
  fromStore: boolean;
  sizeBytes: number;
  /** The engine's copy: read it, never modify it (peers are served from it). */
  bytes: Uint8Array;
  timing: TransferTiming;
}

/** hls.js levels' fragments are re-timed as PTS becomes known; pass that on at most this often. */
const PTS_SYNC_DELAY_MS = 250;

export const browserClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
};

/**
 * Connects one hls.js instance to one Coral engine.
 *
 * ```ts
 * const coral = new CoralHlsIntegration({ engine });
 * const hls = new Hls({ ...myConfig, ...coral.hlsConfig });
 * coral.attach(hls);
 * hls.attachMedia(video);
 * hls.loadSource(playback.manifestUrl);
 * ```
 *
 * `hlsConfig` holds the `fLoader`/`pLoader` classes (empty with P2P off). `attach` feeds the
 * engine what hls.js knows: each level's fragments on LEVEL_LOADED/LEVEL_UPDATED (sequence,
 * start on the player's timeline, duration, absolute URL; the rendition is the media
 * playlist's folder), the level being loaded (LEVEL_SWITCHING), and the playhead, stalls and
 * start-up time from the media element.
 */
export class CoralHlsIntegration {
  readonly engine: CoralEngineLike | null;
  private readonly p2pUnavailable: P2pUnavailableReason | null;
  /** Spread into `new Hls({...})`: `{ fLoader, pLoader }`, or nothing with P2P off. */
  readonly hlsConfig: Partial<Pick<HlsConfig, 'fLoader' | 'pLoader'>>;
  private readonly clock: Clock;
  private readonly startupOriginMs: number | null;
  private readonly levelRenditions = new Map<number, string>();
  private loadingLevel: number | null = null;
  private activeRendition: string | null = null;
  private hls: Hls | null = null;
  private observer: PlaybackObserver | null = null;
  private readonly unsubscribers: Array<() => void> = [];
  private ptsSyncTimer: TimerId | null = null;
  private passthroughBytes = 0;
  private passthroughRequests = 0;
  /** P2P off: media segment bytes hls.js loaded (all from the CDN). */
  private partHttpBytes = 0;
  private partsFromHttp = 0;
  private plainSegmentBytes = 0;
  private plainSegments = 0;
  private readonly doubleLoads = new DoubleLoadTracker();
  private destroyed = false;

  constructor(options: CoralHlsIntegrationOptions) {
    this.engine = options.engine;
    this.p2pUnavailable = options.p2pUnavailable ?? null;
    this.clock = options.clock ?? browserClock;
    this.startupOriginMs = options.startupOriginMs ?? null;
    const engine = options.engine;
    const delivered = (request: SegmentRequest, result: SegmentResult) =>
      options.onSegment?.({
        rendition: request.rendition,
        sequence: request.sequence,
        url: request.url,
        source: result.source,
        cdnReason: result.cdnReason,
        fromStore: result.fromStore,
        sizeBytes: result.bytes.byteLength,
        bytes: result.bytes,
        timing: result.timing,
      });
    if (engine) {
      const router: SegmentRouter = {
        clock: this.clock,
        route: (context) => this.route(context),
        load: (request) => engine.loadSegment(request),
        leavesToPlayer: (request) => engine.leavesToPlayer(request),
        adopt: (request, bytes, stats) => {
          const timing = transferTimingOf(stats, this.clock.now());
          engine.adoptSegment(request, bytes, timing);
          delivered(request, {
            bytes,
            source: 'http',
            cdnReason: 'startup',
            timing,
            fromStore: false,
          });
        },
        countPassthrough: (sizeBytes) => this.countPassthrough(sizeBytes),
        countPart: (sizeBytes) => this.countPart(sizeBytes),
        loaded: (context, sizeBytes, fromMemory) =>
          this.recordLoad(context.frag, context.part?.index ?? null, sizeBytes, fromMemory),
        routePart: (context) => this.routePart(context),
        loadPart: (request) => {
          if (!engine.loadPart) throw new Error('CoralHlsIntegration: engine loads no parts');
          return engine.loadPart(request);
        },
        delivered,
      };
      this.hlsConfig = {
        fLoader: createFragmentLoaderClass(router),
        pLoader: createPlaylistLoaderClass(router),
      };
    } else {
      this.hlsConfig = {};
    }
  }

  /** P2P is on: an engine is attached and its P2P switch is on. */
  get p2pEnabled(): boolean {
    return this.engine !== null && this.engine.config.p2pEnabled;
  }

  /** The rendition hls.js is loading now. */
  get rendition(): string | null {
    return this.activeRendition;
  }

  get qoe(): PlaybackQoe | null {
    return this.observer?.qoe ?? null;
  }

  get stats(): CoralStats {
    const engineStats = this.engine ? this.engine.stats : emptyEngineStats();
    if (!this.engine) {
      engineStats.httpBytes = this.plainSegmentBytes;
      engineStats.segmentsFromHttp = this.plainSegments;
      engineStats.cdnReasons.alone = this.plainSegments;
    }
    const qoe = this.observer?.qoe ?? null;
    // Parts the engine loaded are in its byte totals; those hls.js loaded itself are not.
    const mediaBytes = engineStats.httpBytes + engineStats.p2pBytes + this.partHttpBytes;
    return {
      ...engineStats,
      offloadRatio: mediaBytes === 0 ? 0 : engineStats.p2pBytes / mediaBytes,
      partHttpBytes: this.partHttpBytes + engineStats.parts.httpBytes,
      partsFromHttp: this.partsFromHttp + engineStats.parts.fromHttp,
      partP2pBytes: engineStats.parts.p2pBytes,
      partsFromP2p: engineStats.parts.fromP2p,
      doubleLoads: this.doubleLoads.stats,
      // The player's own view of QoE (the engine hears the same through `reportStall`).
      stalls: qoe?.stalls ?? engineStats.stalls,
      stallMs: qoe?.stallMs ?? engineStats.stallMs,
      startupMs: qoe?.startupMs ?? engineStats.startupMs,
      passthroughBytes: this.passthroughBytes,
      passthroughRequests: this.passthroughRequests,
      rendition: this.activeRendition,
      playbackState: qoe?.state ?? 'detached',
      positionSec: qoe?.positionSec ?? 0,
      bufferedAheadSec: qoe?.bufferedAheadSec ?? 0,
      p2pUnavailable: this.p2pUnavailable,
    };
  }

  /** Listen to an hls.js instance (made with `hlsConfig`). One instance per integration. */
  attach(hls: Hls): this {
    if (this.destroyed) throw new Error('CoralHlsIntegration: attach after destroy');
    if (this.hls) throw new Error('CoralHlsIntegration: already attached to an hls.js instance');
    this.hls = hls;
    const Events = (hls.constructor as typeof Hls).Events;
    const on = <E extends keyof HlsListeners>(event: E, listener: HlsListeners[E]) => {
      hls.on(event, listener);
      this.unsubscribers.push(() => hls.off(event, listener));
    };
    on(Events.LEVEL_SWITCHING, (_event, data) => this.onLevelSwitching(data.level));
    on(Events.LEVEL_LOADED, (_event, data) => {
      if (!this.engine) this.countPlain(data.stats);
      this.onLevelDetails(data.level, data.details);
    });
    on(Events.LEVEL_UPDATED, (_event, data) => this.onLevelDetails(data.level, data.details));
    on(Events.LEVEL_PTS_UPDATED, () => this.schedulePtsSync());
    on(Events.MEDIA_ATTACHED, (_event, data) => this.observe(data.media));
    on(Events.MEDIA_DETACHING, () => this.unobserve());
    on(Events.DESTROYING, () => this.detach());
    if (!this.engine) {
      // P2P off: no loaders of ours; count what hls.js loaded from its events instead.
      on(Events.MANIFEST_LOADED, (_event, data) => this.countPlain(data.stats));
      on(Events.FRAG_LOADED, (_event, data) => {
        const sizeBytes = (data.part ?? data.frag).stats.loaded;
        this.recordLoad(data.frag, data.part?.index ?? null, sizeBytes, false);
        if (data.part) {
          this.countPart(data.part.stats.loaded);
        } else if (data.frag.sn === 'initSegment' || (data.frag.type as string) !== 'main') {
          this.countPlain(data.frag.stats);
        } else {
          this.plainSegmentBytes += data.frag.stats.loaded;
          this.plainSegments++;
        }
      });
    }
    if (hls.media) this.observe(hls.media);
    return this;
  }

  /** Stop listening to hls.js and the media element (the engine is left as it is). */
  detach(): void {
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    if (this.ptsSyncTimer !== null) this.clock.clearTimeout(this.ptsSyncTimer);
    this.ptsSyncTimer = null;
    this.unobserve();
    this.hls = null;
  }

  /** Detach. Idempotent. The engine belongs to whoever made it (see `createCoralHls`). */
  destroy(): void {
    if (this.destroyed) return;
    this.detach();
    this.destroyed = true;
  }

  /** Which fragments the engine serves: whole numbered segments of a known main rendition. */
  private route(context: FragmentLoaderContext): SegmentRequest | null {
    if (this.destroyed || !this.p2pEnabled) return null;
    const frag = context.frag;
    if (typeof frag.sn !== 'number' || context.part) return null;
    if ((frag.type as string) !== 'main') return null;
    // Byte ranges are slices of a file; the integrity manifest signs whole segment files.
    // hls.js sets rangeStart = rangeEnd = 0 for a whole file (its loaders test `rangeEnd`).
    if (
      Boolean(context.rangeEnd) ||
      Boolean(context.rangeStart) ||
      frag.byteRangeStartOffset !== undefined
    ) {
      return null;
    }
    const rendition = this.levelRenditions.get(frag.level);
    if (rendition === undefined) return null;
    return {
      rendition,
      sequence: frag.sn,
      url: context.url,
      startSec: frag.start,
      durationSec: frag.duration,
    };
  }

  /** An LL-HLS part of a main rendition the engine knows: the engine loads it. */
  private routePart(context: FragmentLoaderContext): PartRequest | null {
    const part = context.part;
    const frag = context.frag;
    if (this.destroyed || !this.p2pEnabled || !part || typeof frag.sn !== 'number') return null;
    if ((frag.type as string) !== 'main' || context.rangeEnd || context.rangeStart) return null;
    const rendition = this.levelRenditions.get(frag.level);
    // Before the engine exists hls.js loads parts itself. Once it does, the engine loads
    // them even before the first frame (from the CDN then, as hls.js would) and keeps them:
    // the segment they begin is then made whole for viewers further behind.
    if (rendition === undefined || !this.engine?.loadPart || this.engine.waiting) return null;
    return {
      rendition,
      sequence: frag.sn,
      part: part.index,
      url: context.url,
      startSec: part.start,
    };
  }

  private onLevelSwitching(level: number): void {
    this.loadingLevel = level;
    const rendition = this.levelRenditions.get(level);
    if (rendition !== undefined) this.setActive(rendition);
  }

  private onLevelDetails(level: number, details: LevelDetails): void {
    const loadedUrl = details.url || this.hls?.levels[level]?.url[0];
    if (!loadedUrl) return;
    const url = withoutDeliveryDirectives(loadedUrl);
    const rendition = renditionOfPlaylistUrl(url);
    this.levelRenditions.set(level, rendition);
    this.syncPlaylist(rendition, url, details);
    if (this.loadingLevel === null || this.loadingLevel === level) this.setActive(rendition);
  }

  private syncPlaylist(rendition: string, playlistUrl: string, details: LevelDetails): void {
    if (!this.engine || this.destroyed) return;
    const segments = [];
    for (const frag of details.fragments) {
      if (typeof frag.sn !== 'number' || frag.byteRangeStartOffset !== undefined || frag.gap)
        continue;
      // An LL segment still being published has parts but no URI yet (its url is ''): the
      // engine would fetch '' (the page itself) as the segment.
      if (!frag.url) continue;
      segments.push({
        sequence: frag.sn,
        url: frag.url,
        startSec: frag.start,
        durationSec: frag.duration,
      });
    }
    this.engine.setPlaylist({ rendition, playlistUrl, live: details.live, segments });
  }

  private schedulePtsSync(): void {
    if (this.ptsSyncTimer !== null || !this.engine) return;
    this.ptsSyncTimer = this.clock.setTimeout(() => {
      this.ptsSyncTimer = null;
      const levels = this.hls?.levels ?? [];
      for (const [index, rendition] of this.levelRenditions) {
        const details = levels[index]?.details;
        if (details) this.syncPlaylist(rendition, withoutDeliveryDirectives(details.url), details);
      }
    }, PTS_SYNC_DELAY_MS);
  }

  private setActive(rendition: string): void {
    if (rendition === this.activeRendition) return;
    this.activeRendition = rendition;
    this.engine?.setActiveRendition(rendition);
  }

  private observe(media: MediaLike): void {
    this.unobserve();
    this.observer = new PlaybackObserver(
      media,
      this.clock,
      this.engine,
      this.clock.now(),
      this.startupOriginMs,
    );
  }

  private unobserve(): void {
    this.observer?.destroy();
    this.observer = null;
  }

  private countPassthrough(sizeBytes: number): void {
    this.passthroughBytes += sizeBytes;
    this.passthroughRequests++;
  }

  private countPart(sizeBytes: number): void {
    this.partHttpBytes += sizeBytes;
    this.partsFromHttp++;
  }

  /** A main-rendition segment or part reached hls.js: was its media loaded before? */
  private recordLoad(
    frag: Pick<Fragment, 'sn' | 'type' | 'level'>,
    part: number | null,
    sizeBytes: number,
    fromMemory: boolean,
  ): void {
    if (typeof frag.sn !== 'number' || (frag.type as string) !== 'main') return;
    const rendition = this.levelRenditions.get(frag.level);
    if (rendition === undefined) return;
    this.doubleLoads.record({ rendition, sequence: frag.sn, part, sizeBytes, fromMemory });
  }

  private countPlain(stats: LoaderStats): void {
    this.countPassthrough(stats.loaded);
  }
}

/** LL-HLS delivery directives hls.js adds to each blocking playlist reload (RFC 8216bis 6.2.5). */
const DELIVERY_DIRECTIVES = ['_HLS_msn', '_HLS_part', '_HLS_skip'];

/**
 * The playlist's own address: in low-latency mode hls.js names each reload with the part it
 * waits for, and the engine keys a rendition's playlist by its URL (a new URL starts it over)
 * and polls that URL for new segments (a blocking request for a part already out).
 */
export function withoutDeliveryDirectives(playlistUrl: string): string {
  if (!playlistUrl.includes('_HLS_')) return playlistUrl;
  let url: URL;
  try {
    url = new URL(playlistUrl);
  } catch {
    return playlistUrl;
  }
  for (const name of DELIVERY_DIRECTIVES) url.searchParams.delete(name);
  return url.href;
}
