import { describe, expect, it } from 'vitest';
import { RedisHealth } from '../src/store/redis-health.js';

/** The health state machine alone, step by step (no Redis). */
describe('RedisHealth', () => {
  it('starts a recovery only when commands are up AND the subscription is confirmed', () => {
    const health = new RedisHealth(0);
    expect(health.commandUp()).toBeNull();
    expect(health.healthy).toBe(false);
    const generation = health.subscriberUp();
    expect(generation).toBe(0);
    // One recovery at a time.
    expect(health.commandUp()).toBeNull();
    expect(health.markHealthy(generation!)).toBe(true);
    expect(health.healthy).toBe(true);
    expect(health.finish(generation!, 'done', 50)).toEqual({
      next: 'none',
      announce: { degradedMs: null },
    });
    expect(health.degradedSinceMs).toBeNull();
  });

  it('stays degraded while the subscriber is down, though commands come back', () => {
    const health = new RedisHealth(0);
    const first = health.subscriberUp() ?? health.commandUp();
    health.markHealthy(first!);
    health.finish(first!, 'done', 10);
    expect(health.down('subscriber', 100)).toBe(true);
    expect(health.down('command', 110)).toBe(false);
    expect(health.commandUp()).toBeNull();
    expect(health.healthy).toBe(false);
    expect(health.degradedSinceMs).toBe(100);
    const again = health.subscriberUp();
    expect(again).not.toBeNull();
    health.markHealthy(again!);
    expect(health.finish(again!, 'done', 400)).toEqual({
      next: 'none',
      announce: { degradedMs: 300 },
    });
  });

  it('drops a recovery that a close overtook, and starts a fresh one when both are up again', () => {
    const health = new RedisHealth(0);
    health.commandUp();
    const stale = health.subscriberUp()!;
    // The subscriber flaps while the recovery loads its scripts.
    expect(health.down('subscriber', 5)).toBe(false);
    expect(health.markHealthy(stale)).toBe(false);
    expect(health.healthy).toBe(false);
    expect(health.finish(stale, 'stale', 6)).toEqual({ next: 'none', announce: null });
    const fresh = health.subscriberUp();
    expect(fresh).toBe(stale + 1);
    // A close after marking healthy (during re-registration) undoes it, and nothing is announced.
    health.markHealthy(fresh!);
    health.down('command', 7);
    expect(health.healthy).toBe(false);
    expect(health.finish(fresh!, 'done', 8)).toEqual({ next: 'none', announce: null });
    const last = health.commandUp()!;
    health.markHealthy(last);
    expect(health.finish(last, 'done', 9).announce).toEqual({ degradedMs: null });
  });

  it('starts again at once after a stale recovery when both connections are already back', () => {
    const health = new RedisHealth(0);
    health.commandUp();
    const stale = health.subscriberUp()!;
    health.down('command', 1);
    health.commandUp();
    expect(health.finish(stale, 'stale', 2).next).toBe('recover');
    expect(health.retry()).toBe(stale + 1);
  });

  it('retries a failed recovery after a pause, unhealthy meanwhile', () => {
    const health = new RedisHealth(0);
    health.commandUp();
    const generation = health.subscriberUp()!;
    health.markHealthy(generation);
    expect(health.finish(generation, 'failed', 1)).toEqual({ next: 'retry-later', announce: null });
    expect(health.healthy).toBe(false);
    expect(health.retry()).toBe(generation);
  });

  it('announces each outage and each recovery once, however Redis flaps', () => {
    const health = new RedisHealth(0);
    const announcements: string[] = [];
    const recoverFully = () => {
      const generation = health.commandUp() ?? health.subscriberUp();
      if (generation === null) return;
      health.markHealthy(generation);
      if (health.finish(generation, 'done', 0).announce) announcements.push('up');
    };
    health.subscriberUp();
    health.finish(0, 'stale', 0);
    recoverFully();
    for (let i = 0; i < 3; i++) {
      if (health.down('command', 1)) announcements.push('down');
      if (health.down('subscriber', 1)) announcements.push('down');
      health.subscriberUp();
    }
    recoverFully();
    expect(announcements).toEqual(['up', 'down', 'up']);
  });

  it('does nothing once stopped', () => {
    const health = new RedisHealth(0);
    health.stop();
    expect(health.commandUp()).toBeNull();
    expect(health.subscriberUp()).toBeNull();
    expect(health.down('command', 1)).toBe(false);
    expect(health.finish(0, 'done', 1)).toEqual({ next: 'none', announce: null });
  });
});
