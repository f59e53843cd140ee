import type { Clock, TimerId } from './platform.js';

const DRAIN_POLL_MS = 50;

/**
 * Senders waiting for a data channel's buffer to drain. Woken by the channel's
 * bufferedamountlow event and, because some stacks (werift) fire it only on a downward crossing
 * of the threshold, by a short poll too: the senders re-check the buffered amount.
 */
export class ChannelDrain {
  private waiters: Array<() => void> = [];
  private poll: TimerId | null = null;

  constructor(private readonly clock: Clock) {}

  wait(): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.poll ??= this.clock.setTimeout(() => {
        this.poll = null;
        this.wake();
      }, DRAIN_POLL_MS);
    });
  }

  wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }

  /** Wake every waiter and stop the poll. Idempotent. */
  destroy(): void {
    this.wake();
    if (this.poll !== null) this.clock.clearTimeout(this.poll);
    this.poll = null;
  }
}
