import type { Clock, TimerId } from '../../src/index.js';

interface Timer {
  id: number;
  atMs: number;
  callback: () => void;
}

/** Let every pending promise continuation and I/O callback run. */
export async function flushAsync(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * A deterministic clock: time moves only when a test advances it; timers fire in time order,
 * with every promise continuation they cause run before the next timer.
 */
export class FakeClock implements Clock {
  private current = 0;
  private nextId = 1;
  private timers: Timer[] = [];

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, delayMs: number): TimerId {
    const timer = { id: this.nextId++, atMs: this.current + Math.max(0, delayMs), callback };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(id: TimerId): void {
    this.timers = this.timers.filter((timer) => timer.id !== id);
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Advance by `ms`, firing timers in order. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    await flushAsync();
    for (;;) {
      const next = this.timers.reduce<Timer | null>(
        (best, timer) =>
          timer.atMs <= target &&
          (!best || timer.atMs < best.atMs || (timer.atMs === best.atMs && timer.id < best.id))
            ? timer
            : best,
        null,
      );
      if (!next) break;
      this.timers = this.timers.filter((timer) => timer !== next);
      this.current = Math.max(this.current, next.atMs);
      next.callback();
      await flushAsync();
    }
    this.current = target;
    await flushAsync();
  }

  /** Advance in steps until `predicate` holds; throws after `limitMs` of fake time. */
  async advanceUntil(predicate: () => boolean, limitMs: number, stepMs = 50): Promise<number> {
    const start = this.current;
    while (!predicate()) {
      if (this.current - start >= limitMs)
        throw new Error(`condition not met within ${limitMs} ms of fake time`);
      await this.advance(stepMs);
    }
    return this.current - start;
  }
}
