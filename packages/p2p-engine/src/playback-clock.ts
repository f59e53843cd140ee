/**
 * Where the playhead is, extrapolated between the player's updates, and so when a segment
 * will be needed: its deadline.
 */
export interface PlaybackUpdate {
  positionSec: number;
  /** 0 when paused or stalled. */
  rate: number;
}

export class PlaybackClock {
  private positionSec: number | null = null;
  private rate = 0;
  private updatedAtMs = 0;
  private hasBeenPlaced = false;
  private hasPlayed = false;

  update(update: PlaybackUpdate, nowMs: number): void {
    if (update.rate > 0 || update.positionSec > 0) this.hasBeenPlaced = true;
    if (update.rate > 0) this.hasPlayed = true;
    this.positionSec = update.positionSec;
    this.rate = update.rate;
    this.updatedAtMs = nowMs;
  }

  get known(): boolean {
    return this.positionSec !== null;
  }

  /**
   * The player has put its playhead somewhere (moved it, or played). A live player reports
   * 0 before it seeks to the live start, and deadlines measured from there are meaningless.
   */
  get placed(): boolean {
    return this.hasBeenPlaced;
  }

  /**
   * The player has played (its first frame is out). Until then the viewer is waiting on
   * every segment it asks for, whatever the deadlines say: start-up.
   */
  get started(): boolean {
    return this.hasPlayed;
  }

  /** The playhead now, seconds (null before the player reported one). */
  positionAt(nowMs: number): number | null {
    if (this.positionSec === null) return null;
    return this.positionSec + (this.rate * (nowMs - this.updatedAtMs)) / 1000;
  }

  /**
   * When the playhead reaches `startSec`, as a clock time in ms. Paused or not yet playing
   * counts as playing at 1x: the viewer may press play at any moment, and start-up segments
   * are wanted at once. Unknown playhead: now (treat as urgent).
   */
  deadlineMs(startSec: number, nowMs: number): number {
    const position = this.positionAt(nowMs);
    if (position === null) return nowMs;
    const rate = Math.max(this.rate, 1);
    return nowMs + (Math.max(0, startSec - position) * 1000) / rate;
  }
}
