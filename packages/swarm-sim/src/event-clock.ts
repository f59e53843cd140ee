import type { Clock, TimerId } from '@coral-cdn/p2p-engine';

/** Timers kept firing at one instant without time moving on (a livelock). */
export class TimerStormError extends Error {
  override readonly name = 'TimerStormError';
}

interface Timer {
  readonly id: number;
  readonly atMs: number;
  callback: (() => void) | null;
}

/**
 * The simulator's clock: a binary heap of timers in (time, creation) order. Time moves only in
 * `runUntil`; after each instant's timers fire, every promise continuation they caused runs
 * (one macrotask turn drains the microtask queue) before the next instant, so the engine's
 * async code sees the same ordering as on a real event loop, minus wall time.
 */
export class EventClock implements Clock {
  private current = 0;
  private nextId = 1;
  private heap: Timer[] = [];
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
    const timer: Timer = { id: this.nextId++, atMs: Math.ceil(this.current + delay), callback };
    this.push(timer);
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
      const head = this.heap[0];
      if (!head || head.atMs > targetMs) break;
      const instant = head.atMs;
      this.current = Math.max(this.current, instant);
      // Everything due at this instant, including timers they add with zero delay.
      let firedHere = 0;
      for (;;) {
        const next = this.heap[0];
        if (!next || next.atMs > instant) break;
        this.pop();
        const callback = next.callback;
        if (callback === null) continue;
        next.callback = null;
        this.live--;
        this.firedTimers++;
        if (++firedHere > this.maxTimersPerInstant)
          throw new TimerStormError(
            `more than ${this.maxTimersPerInstant} timers at t=${instant} ms: something reschedules itself with no delay`,
          );
        callback();
      }
      await drainMicrotasks();
      onInstant?.(this.current);
    }
    this.current = Math.max(this.current, targetMs);
  }

  private push(timer: Timer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && before(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && before(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === i) break;
      [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
      i = smallest;
    }
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.id < b.id);
}

/** One macrotask turn: every queued promise continuation (and those they queue) runs first. */
export function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
