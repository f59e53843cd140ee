import type { Clock, TimerId } from '@coral-cdn/p2p-engine';

/** Timers kept firing at one instant without time moving on (a livelock). */
export class TimerStormError extends Error {
  override readonly name = 'TimerStormError';
}

interface Timer {
  readonly atMs: number;
  callback: (() => void) | null;
}

/**
 * The simulator's clock: timers in (time, creation) order. Time moves only in `runUntil`; after
 * each instant's timers fire, every promise continuation they caused runs (one macrotask turn
 * drains the microtask queue) before the next instant, so the engine's async code sees the same
 * ordering as on a real event loop, minus wall time.
 *
 * Timers are whole milliseconds and thousands of viewers' ticks share each instant, so they are
 * kept as a calendar: one list per instant in creation order (a push, no heap work per timer)
 * and a binary heap of the instants only. A cleared timer stays in its list, skipped when due.
 */
export class EventClock implements Clock {
  private current = 0;
  /** Instants with a list, as a binary min-heap. */
  private readonly instants: number[] = [];
  private readonly calendar = new Map<number, Timer[]>();
  private live = 0;
  /** Timers fired so far (a cost figure for the speed benchmark). */
  firedTimers = 0;

  /** A livelock guard: no instant of a sane simulation fires this many timers. */
  constructor(private readonly maxTimersPerInstant = 5_000_000) {}

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, delayMs: number): TimerId {
    const delay = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
    // Whole milliseconds: timers of many viewers share instants, and one microtask drain per
    // instant serves them all (a real event loop's timers are whole milliseconds too).
    const timer: Timer = { atMs: Math.ceil(this.current + delay), callback };
    let list = this.calendar.get(timer.atMs);
    if (!list) {
      list = [];
      this.calendar.set(timer.atMs, list);
      this.pushInstant(timer.atMs);
    }
    list.push(timer);
    this.live++;
    return timer;
  }

  clearTimeout(id: TimerId): void {
    const timer = id as Timer;
    if (timer.callback === null) return;
    timer.callback = null;
    this.live--;
  }

  get pendingTimers(): number {
    return this.live;
  }

  /** Fire every timer due at or before `targetMs`, in order; then set the clock to it. */
  async runUntil(targetMs: number, onInstant?: (nowMs: number) => void): Promise<void> {
    await drainMicrotasks();
    for (;;) {
      const instant = this.instants[0];
      if (instant === undefined || instant > targetMs) break;
      this.current = Math.max(this.current, instant);
      // Everything due at this instant, including timers they add with zero delay (appended
      // to this same list, so the loop reaches them).
      const list = this.calendar.get(instant)!;
      let firedHere = 0;
      for (let i = 0; i < list.length; i++) {
        const timer = list[i]!;
        const callback = timer.callback;
        if (callback === null) continue;
        timer.callback = null;
        this.live--;
        this.firedTimers++;
        if (++firedHere > this.maxTimersPerInstant)
          throw new TimerStormError(
            `more than ${this.maxTimersPerInstant} timers at t=${instant} ms: something reschedules itself with no delay`,
          );
        callback();
      }
      this.calendar.delete(instant);
      this.popInstant();
      await drainMicrotasks();
      onInstant?.(this.current);
    }
    this.current = Math.max(this.current, targetMs);
  }

  private pushInstant(atMs: number): void {
    const heap = this.instants;
    let i = heap.length;
    heap.push(atMs);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = heap[parent]!;
      if (above <= atMs) break;
      heap[i] = above;
      i = parent;
    }
    heap[i] = atMs;
  }

  private popInstant(): void {
    const heap = this.instants;
    const last = heap.pop()!;
    const size = heap.length;
    if (size === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= size) break;
      const right = left + 1;
      const child = right < size && heap[right]! < heap[left]! ? right : left;
      if (heap[child]! >= last) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
  }
}

/** One macrotask turn: every queued promise continuation (and those they queue) runs first. */
export function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
