/** A token bucket: `ratePerSec` tokens a second, at most `burst` saved up. */
export class TokenBucket {
  private tokens: number;
  private updatedAtMs: number;

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    nowMs: number,
  ) {
    this.tokens = burst;
    this.updatedAtMs = nowMs;
  }

  /** Take one token; false when the bucket is empty. */
  take(nowMs: number): boolean {
    const elapsedMs = nowMs - this.updatedAtMs;
    if (elapsedMs > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (elapsedMs * this.ratePerSec) / 1000);
      this.updatedAtMs = nowMs;
    }
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Counts offences in a sliding window; `add` says when the limit is reached. */
export class StrikeCounter {
  private readonly times: number[] = [];

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Record an offence; true when the connection has now reached the limit. */
  add(nowMs: number): boolean {
    this.times.push(nowMs);
    while (this.times.length > 0 && this.times[0]! <= nowMs - this.windowMs) this.times.shift();
    return this.times.length >= this.limit;
  }

  get count(): number {
    return this.times.length;
  }
}
