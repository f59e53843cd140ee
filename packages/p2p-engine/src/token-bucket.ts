import type { Clock } from './platform.js';

/**
 * Upload cap: a token bucket in bytes, refilled at `ratePerSec`, holding at most `burstBytes`.
 * `take` never blocks: it says how long to wait before the bytes may go.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAtMs: number;

  constructor(
    private readonly clock: Clock,
    private readonly ratePerSec: number,
    private readonly burstBytes: number,
  ) {
    this.tokens = burstBytes;
    this.updatedAtMs = clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(
      this.burstBytes,
      this.tokens + ((now - this.updatedAtMs) * this.ratePerSec) / 1000,
    );
    this.updatedAtMs = now;
  }

  /** Consume `bytes` now if they are available: 0. Otherwise the ms to wait and nothing consumed. */
  take(bytes: number): number {
    if (this.ratePerSec === Infinity) return 0;
    this.refill();
    if (this.tokens >= bytes) {
      this.tokens -= bytes;
      return 0;
    }
    if (this.ratePerSec <= 0) return Infinity;
    return Math.ceil(((bytes - this.tokens) * 1000) / this.ratePerSec);
  }
}
