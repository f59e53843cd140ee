import type { Clock, PlaybackUpdate } from '@coral-cdn/p2p-engine';

/** The part of an HTMLMediaElement the observer reads (a structural type, for tests). */
export interface MediaLike {
  readonly currentTime: number;
  readonly paused: boolean;
  readonly seeking: boolean;
  readonly ended: boolean;
  readonly playbackRate: number;
  /** Plays by itself once it can: its `play` event comes with the first frame, not before. */
  readonly autoplay?: boolean;
  readonly buffered: {
    readonly length: number;
    start(index: number): number;
    end(index: number): number;
  };
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

export type PlaybackState = 'starting' | 'playing' | 'paused' | 'stalled' | 'seeking' | 'ended';

/** Quality of experience as the viewer saw it. */
export interface PlaybackQoe {
  state: PlaybackState;
  positionSec: number;
  /** Media buffered ahead of the playhead, seconds. */
  bufferedAheadSec: number;
  /**
   * To the first frame playing from: the `startupOriginMs` given (a page that plays on load
   * passes its navigation start), else the viewer's play request when it came after attaching,
   * else attaching (autoplay: the browser's own `play` event comes with the first frame).
   */
  startupMs: number | null;
  /** Times playback stopped for lack of data after it had started (seeks excluded). */
  stalls: number;
  /** Time spent in those stalls, including one still open. */
  stallMs: number;
}

/** Where the observer reports: the engine's QoE and playhead inputs. */
export interface PlaybackSink {
  setPlayback(update: PlaybackUpdate): void;
  reportStall(stalled: boolean): void;
  reportStartup(startupMs: number): void;
}

const EVENTS = [
  'play',
  'playing',
  'pause',
  'waiting',
  'seeking',
  'seeked',
  'timeupdate',
  'ratechange',
  'ended',
] as const;

/**
 * Watches a media element: tells the engine where the playhead is and how fast it moves
 * (`setPlayback`, rate 0 while paused, stalled, seeking or not started), and keeps the
 * viewer's startup time and stalls (`reportStartup`, `reportStall`).
 */
export class PlaybackObserver {
  private state: PlaybackState = 'starting';
  private playRequestedAtMs: number | null = null;
  private startupMs: number | null = null;
  private stalls = 0;
  private stallMsClosed = 0;
  private stallStartedAtMs: number | null = null;
  private readonly listeners = new Map<string, () => void>();
  private destroyed = false;

  constructor(
    private readonly media: MediaLike,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly sink: PlaybackSink | null,
    private readonly attachedAtMs: number = clock.now(),
    private readonly startupOriginMs: number | null = null,
  ) {
    const handlers: Record<(typeof EVENTS)[number], () => void> = {
      play: () => {
        // Autoplay's `play` event is the browser starting, not a viewer asking.
        if (!this.media.autoplay) this.playRequestedAtMs ??= this.clock.now();
      },
      playing: () => this.onPlaying(),
      pause: () => this.settle(this.state === 'starting' ? 'starting' : 'paused'),
      waiting: () => this.onWaiting(),
      seeking: () => this.settle(this.state === 'starting' ? 'starting' : 'seeking'),
      seeked: () => {
        if (this.state === 'seeking') this.settle(this.media.paused ? 'paused' : 'playing');
        else this.push();
      },
      timeupdate: () => this.push(),
      ratechange: () => this.push(),
      ended: () => this.settle('ended'),
    };
    for (const type of EVENTS) {
      const listener = handlers[type];
      this.listeners.set(type, listener);
      media.addEventListener(type, listener);
    }
    // Already playing when attached (a player that attaches late): start-up is unknown.
    if (!media.paused && media.currentTime > 0) this.state = 'playing';
    this.push();
  }

  get qoe(): PlaybackQoe {
    const openMs =
      this.stallStartedAtMs === null ? 0 : Math.max(0, this.clock.now() - this.stallStartedAtMs);
    return {
      state: this.state,
      positionSec: this.media.currentTime,
      bufferedAheadSec: bufferedAhead(this.media),
      startupMs: this.startupMs,
      stalls: this.stalls,
      stallMs: this.stallMsClosed + openMs,
    };
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.endStall();
    for (const [type, listener] of this.listeners) this.media.removeEventListener(type, listener);
    this.listeners.clear();
  }

  private onPlaying(): void {
    if (this.state === 'starting') {
      const now = this.clock.now();
      const fromMs =
        this.startupOriginMs ?? Math.max(this.attachedAtMs, this.playRequestedAtMs ?? 0);
      this.startupMs = Math.max(0, now - fromMs);
      this.sink?.reportStartup(this.startupMs);
    }
    this.settle('playing');
  }

  private onWaiting(): void {
    // Waiting before the first frame is start-up; during a seek it is the seek.
    if (this.state === 'starting' || this.media.seeking || this.state === 'seeking') return;
    if (this.media.ended || this.state === 'ended') return;
    if (this.stallStartedAtMs === null) {
      this.stallStartedAtMs = this.clock.now();
      this.stalls++;
      this.sink?.reportStall(true);
    }
    this.state = 'stalled';
    this.push();
  }

  private settle(state: PlaybackState): void {
    if (this.destroyed) return;
    if (state !== 'stalled') this.endStall();
    this.state = state;
    this.push();
  }

  private endStall(): void {
    if (this.stallStartedAtMs === null) return;
    this.stallMsClosed += Math.max(0, this.clock.now() - this.stallStartedAtMs);
    this.stallStartedAtMs = null;
    this.sink?.reportStall(false);
  }

  private push(): void {
    if (this.destroyed) return;
    const rate = this.state === 'playing' && !this.media.paused ? this.media.playbackRate : 0;
    this.sink?.setPlayback({ positionSec: this.media.currentTime, rate });
  }
}

function bufferedAhead(media: MediaLike): number {
  const position = media.currentTime;
  const ranges = media.buffered;
  for (let i = 0; i < ranges.length; i++) {
    // A small tolerance: the playhead often sits a few ms before a range's start.
    if (ranges.start(i) <= position + 0.1 && position <= ranges.end(i)) {
      return Math.max(0, ranges.end(i) - position);
    }
  }
  return 0;
}
