import { describe, expect, it } from 'vitest';
import { EventClock, TimerStormError } from '../src/event-clock.js';

describe('EventClock', () => {
  it('fires timers in time order, then creation order, and skips cleared ones', async () => {
    const clock = new EventClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b'), 20);
    clock.setTimeout(() => fired.push('a'), 10);
    const cleared = clock.setTimeout(() => fired.push('never'), 15);
    clock.setTimeout(() => fired.push('c'), 20);
    clock.clearTimeout(cleared);
    clock.clearTimeout(cleared);
    await clock.runUntil(100);
    expect(fired).toEqual(['a', 'b', 'c']);
    expect(clock.now()).toBe(100);
    expect(clock.pendingTimers).toBe(0);
  });

  it('runs promise continuations of one instant before the next instant', async () => {
    const clock = new EventClock();
    const order: string[] = [];
    clock.setTimeout(() => {
      void Promise.resolve()
        .then(() => undefined)
        .then(() => order.push(`continuation at ${clock.now()}`));
    }, 10);
    clock.setTimeout(() => order.push(`timer at ${clock.now()}`), 11);
    await clock.runUntil(50);
    expect(order).toEqual(['continuation at 10', 'timer at 11']);
  });

  it('keeps (time, creation) order for many timers sharing instants, added while firing', async () => {
    const clock = new EventClock();
    let state = 11;
    const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const created: Array<{ seq: number; atMs: number }> = [];
    const fired: number[] = [];
    const cleared = new Set<number>();
    const schedule = (delayMs: number): void => {
      const seq = created.length;
      created.push({ seq, atMs: Math.ceil(clock.now() + delayMs) });
      const id = clock.setTimeout(() => {
        fired.push(seq);
        expect(clock.now()).toBe(created[seq]!.atMs);
        if (random() < 0.3) schedule(random() < 0.5 ? 0 : random() * 5);
      }, delayMs);
      if (random() < 0.1) {
        clock.clearTimeout(id);
        cleared.add(seq);
      }
    };
    for (let i = 0; i < 2000; i++) schedule(random() * 50);
    await clock.runUntil(1000);
    const expected = created
      .filter((timer) => !cleared.has(timer.seq))
      .sort((a, b) => a.atMs - b.atMs || a.seq - b.seq)
      .map((timer) => timer.seq);
    expect(fired).toEqual(expected);
    expect(clock.firedTimers).toBe(expected.length);
    expect(clock.pendingTimers).toBe(0);
  });

  it('does not fire timers beyond the target', async () => {
    const clock = new EventClock();
    let fired = false;
    clock.setTimeout(() => (fired = true), 60);
    await clock.runUntil(59);
    expect(fired).toBe(false);
    await clock.runUntil(60);
    expect(fired).toBe(true);
  });
});

describe('EventClock livelock guard', () => {
  it('stops with TimerStormError when timers keep rescheduling at one instant', async () => {
    const clock = new EventClock(1000);
    const again = (): void => {
      clock.setTimeout(again, 0);
    };
    clock.setTimeout(again, 5);
    await expect(clock.runUntil(100)).rejects.toThrow(TimerStormError);
  });
});
