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
