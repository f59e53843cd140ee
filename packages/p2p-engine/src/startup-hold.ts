import type { Clock, TimerId } from './platform.js';

/**
 * The engine's start-up: until the player's first frame (`release()`), at most `maxMs`, the
 * engine stays off the network. No tracker connection, no integrity manifest, no WebRTC
 * set-up: no peer could serve a start-up segment in time anyway, and a page that starts on
 * exactly the requests and CPU of a page without Coral starts as fast. `maxMs` 0: no hold.
 */
export class StartupHold {
  private timer: TimerId | null = null;
  /** The first segment asked for during the hold (none yet: undefined). */
  private firstSequence?: number;
  private callbacks: Array<() => void> = [];
  private destroyed = false;

  constructor(
    private readonly clock: Clock,
    maxMs: number,
  ) {
    if (maxMs > 0) this.timer = clock.setTimeout(() => this.release(), maxMs);
  }

  /**
   * Does the first frame need this segment: the first one asked for during the hold, or the
   * next (or an earlier one)? Those come from the CDN at once, as without Coral; later ones
   * wait for the first frame, when peers may serve them.
   */
  needsForFirstFrame(sequence: number): boolean {
    this.firstSequence ??= sequence;
    return sequence < this.firstSequence + 2;
  }

  get holding(): boolean {
    return this.timer !== null;
  }

  /** Run `callback` when the hold ends (at once if it has); never after `destroy()`. */
  whenReleased(callback: () => void): void {
    if (this.destroyed) return;
    if (this.holding) this.callbacks.push(callback);
    else callback();
  }

  /** The first frame is out (or the hold timed out): release, in registration order. Idempotent. */
  release(): void {
    if (!this.holding || this.destroyed) return;
    this.clock.clearTimeout(this.timer!);
    this.timer = null;
    for (const callback of this.callbacks.splice(0)) callback();
  }

  /** Drop the timer and the waiting callbacks without running them. Idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.callbacks = [];
  }
}
