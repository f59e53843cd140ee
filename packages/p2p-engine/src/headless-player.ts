import { LIVE_SYNC_SEGMENTS } from '@coral-cdn/protocol';
import type { CoralEngine } from './engine.js';
import { isAborted } from './errors.js';
import { parseMediaPlaylist, resolveUri } from './m3u8.js';
import type { Clock, HttpClient, TimerId } from './platform.js';
import type { SegmentInfo } from './playlist-state.js';
import { playlistText, standardUtf8Decode, type Utf8Decode } from './text.js';

export type PlayerEngine = Pick<
  CoralEngine,
  | 'setPlaylist'
  | 'setActiveRendition'
  | 'setPlayback'
  | 'loadSegment'
  | 'reportStall'
  | 'reportStartup'
>;

export interface HeadlessPlayerOptions {
  /** Media playlist of the rendition to play. */
  playlistUrl: string;
  rendition: string;
  /** Keep this much media buffered ahead of the playhead, seconds (hls.js: maxBufferLength). */
  bufferTargetSec?: number;
  /** Live: start this many segments behind the live edge (hls.js: liveSyncDurationCount). */
  liveSyncSegments?: number;
  /** Resume after a stall once this much is buffered, seconds. */
  rebufferSec?: number;
  tickMs?: number;
  /** Tries per segment before the player gives up on it (and skips ahead). */
  maxLoadAttempts?: number;
}

export interface HeadlessPlayerStats {
  startupMs: number | null;
  stalls: number;
  stallMs: number;
  playedSec: number;
  positionSec: number;
  bufferedAheadSec: number;
  segmentsLoaded: number;
  loadErrors: number;
  skippedSegments: number;
  ended: boolean;
}

/**
 * A player without a decoder: it drives an engine the way hls.js does (playlist loads and
 * live reloads, one segment at a time up to a buffer target, a playhead moving in real time,
 * stalls when the buffer runs dry) and keeps QoE figures. Used by the headless node peer and
 * by the simulated swarms in tests.
 */
export class HeadlessPlayer {
  private readonly segments = new Map<number, SegmentInfo>();
  private live = false;
  private targetDurationSec = 2;
  private nextSequence: number | null = null;
  private bufferedEndSec: number | null = null;
  private positionSec = 0;
  private playing = false;
  private stalledSinceMs: number | null = null;
  private stallAccumulatedMs = 0;
  private startedAtMs = 0;
  private lastTickMs = 0;
  private loading = false;
  private attempts = 0;
  private tickTimer: TimerId | null = null;
  private reloadTimer: TimerId | null = null;
  private cancelLoad: (() => void) | null = null;
  private destroyed = false;
  readonly stats: HeadlessPlayerStats = {
    startupMs: null,
    stalls: 0,
    stallMs: 0,
    playedSec: 0,
    positionSec: 0,
    bufferedAheadSec: 0,
    segmentsLoaded: 0,
    loadErrors: 0,
    skippedSegments: 0,
    ended: false,
  };

  constructor(
    private readonly engine: PlayerEngine,
    private readonly platform: {
      clock: Clock;
      http: HttpClient;
      decodeUtf8?: Utf8Decode;
    },
    private readonly options: HeadlessPlayerOptions,
  ) {}

  async start(): Promise<void> {
    this.startedAtMs = this.platform.clock.now();
    this.lastTickMs = this.startedAtMs;
    await this.reloadPlaylist();
    this.engine.setActiveRendition(this.options.rendition);
    this.tick();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const timer of [this.tickTimer, this.reloadTimer])
      if (timer !== null) this.platform.clock.clearTimeout(timer);
    this.cancelLoad?.();
    this.updateStallStats(this.platform.clock.now());
  }

  private async reloadPlaylist(): Promise<void> {
    let changed = false;
    try {
      const response = await this.platform.http.get({ url: this.options.playlistUrl }).promise;
      const parsed = parseMediaPlaylist(
        playlistText(response.bytes, this.platform.decodeUtf8 ?? standardUtf8Decode()),
      );
      if (!parsed) throw new Error('not a media playlist');
      this.live = !parsed.endList;
      this.targetDurationSec = parsed.targetDurationSec ?? this.targetDurationSec;
      const update: SegmentInfo[] = [];
      for (const segment of parsed.segments) {
        if (this.segments.has(segment.sequence)) continue;
        // Place each new segment after the one before it on one continuous timeline.
        const previous = this.segments.get(segment.sequence - 1);
        const startSec = previous
          ? previous.startSec + previous.durationSec
          : this.segments.size === 0
            ? 0
            : null;
        if (startSec === null) continue;
        const info: SegmentInfo = {
          rendition: this.options.rendition,
          sequence: segment.sequence,
          url: resolveUri(this.options.playlistUrl, segment.uri),
          startSec,
          durationSec: segment.durationSec,
        };
        this.segments.set(segment.sequence, info);
        update.push(info);
        changed = true;
      }
      if (this.nextSequence === null && parsed.segments.length > 0) {
        const startIndex = this.live
          ? Math.max(
              0,
              parsed.segments.length -
                (this.options.liveSyncSegments ?? LIVE_SYNC_SEGMENTS.default),
            )
          : 0;
        this.nextSequence = parsed.segments[startIndex]!.sequence;
        this.positionSec = this.segments.get(this.nextSequence)!.startSec;
      }
      // Tell the engine what this playlist lists (it keeps its own history).
      const listed: SegmentInfo[] = [];
      for (const segment of parsed.segments) {
        const info = this.segments.get(segment.sequence);
        if (info) listed.push(info);
      }
      this.engine.setPlaylist({
        rendition: this.options.rendition,
        playlistUrl: this.options.playlistUrl,
        live: this.live,
        segments: listed.map(({ sequence, url, startSec, durationSec }) => ({
          sequence,
          url,
          startSec,
          durationSec,
        })),
      });
      if (this.live)
        this.forgetBefore(Math.min(parsed.mediaSequence, this.nextSequence ?? Infinity) - 1);
      if (update.length > 0) this.pump();
    } catch (_error) {
      this.stats.loadErrors++;
    }
    if (this.live && !this.destroyed) {
      const delayMs = ((changed ? 1 : 0.5) * this.targetDurationSec * 1000) | 0;
      this.reloadTimer = this.platform.clock.setTimeout(() => {
        this.reloadTimer = null;
        void this.reloadPlaylist();
      }, delayMs);
    }
  }

  /** Load the next segment if the buffer is below its target (one at a time, like hls.js). */
  private pump(): void {
    if (this.loading || this.destroyed || this.nextSequence === null) return;
    const info = this.segments.get(this.nextSequence);
    if (!info) return;
    const aheadSec = (this.bufferedEndSec ?? this.positionSec) - this.positionSec;
    if (aheadSec >= (this.options.bufferTargetSec ?? 30)) return;
    this.loading = true;
    const load = this.engine.loadSegment({
      rendition: info.rendition,
      sequence: info.sequence,
      url: info.url,
      startSec: info.startSec,
      durationSec: info.durationSec,
    });
    this.cancelLoad = load.cancel;
    load.promise
      .then(
        () => {
          this.attempts = 0;
          this.stats.segmentsLoaded++;
          this.bufferedEndSec = info.startSec + info.durationSec;
          this.nextSequence = info.sequence + 1;
        },
        (error: unknown) => {
          if (this.destroyed || isAborted(error)) return;
          this.stats.loadErrors++;
          this.attempts++;
          if (this.attempts >= (this.options.maxLoadAttempts ?? 4)) {
            // Give up on this segment as a player would after its retries: skip it.
            this.attempts = 0;
            this.stats.skippedSegments++;
            this.nextSequence = info.sequence + 1;
          }
        },
      )
      .finally(() => {
        this.loading = false;
        this.cancelLoad = null;
        if (!this.destroyed)
          this.platform.clock.setTimeout(() => this.pump(), this.attempts > 0 ? 500 : 0);
      });
  }

  private tick(): void {
    if (this.destroyed) return;
    const now = this.platform.clock.now();
    const elapsedSec = (now - this.lastTickMs) / 1000;
    this.lastTickMs = now;
    const bufferedEnd = this.bufferedEndSec ?? this.positionSec;
    if (!this.playing) {
      if (bufferedEnd > this.positionSec) {
        this.playing = true;
        this.stats.startupMs = now - this.startedAtMs;
        this.engine.reportStartup(this.stats.startupMs);
      }
    } else if (this.stalledSinceMs !== null) {
      if (
        bufferedEnd - this.positionSec >=
        Math.min(this.options.rebufferSec ?? 1, this.remainingSec())
      ) {
        this.updateStallStats(now);
        this.stalledSinceMs = null;
        this.engine.reportStall(false);
      }
    } else {
      const advance = Math.min(elapsedSec, bufferedEnd - this.positionSec);
      this.positionSec += advance;
      this.stats.playedSec += advance;
      if (this.positionSec >= bufferedEnd - 1e-9) {
        if (this.isAtEnd()) {
          this.stats.ended = true;
        } else {
          this.stalledSinceMs = now;
          this.stats.stalls++;
          this.engine.reportStall(true);
        }
      }
    }
    this.stats.positionSec = this.positionSec;
    this.stats.bufferedAheadSec = Math.max(0, bufferedEnd - this.positionSec);
    this.updateStallStats(now);
    this.engine.setPlayback({
      positionSec: this.positionSec,
      rate: this.playing && this.stalledSinceMs === null && !this.stats.ended ? 1 : 0,
    });
    this.pump();
    if (this.stats.ended) return;
    this.tickTimer = this.platform.clock.setTimeout(() => {
      this.tickTimer = null;
      this.tick();
    }, this.options.tickMs ?? 100);
  }

  /** Live: drop timeline entries behind the window (a long-running peer must not grow). */
  private forgetBefore(sequence: number): void {
    for (const key of this.segments.keys()) if (key < sequence) this.segments.delete(key);
  }

  private isAtEnd(): boolean {
    if (this.live || this.nextSequence === null) return false;
    return !this.segments.has(this.nextSequence);
  }

  private remainingSec(): number {
    if (this.live) return Infinity;
    let end = 0;
    for (const segment of this.segments.values())
      end = Math.max(end, segment.startSec + segment.durationSec);
    return end - this.positionSec;
  }

  private updateStallStats(now: number): void {
    const open = this.stalledSinceMs === null ? 0 : now - this.stalledSinceMs;
    if (this.stalledSinceMs !== null && open > 0) {
      this.stallAccumulatedMs += open;
      this.stalledSinceMs = now;
    }
    this.stats.stallMs = this.stallAccumulatedMs;
  }
}
