/**
 * Throughput estimate from transfer samples: an exponentially weighted moving average of
 * bytes/s, weighted by sample duration so that a tiny transfer cannot swing it far.
 */
export class ThroughputEstimator {
  private estimateBytesPerSec: number | null = null;
  private samples = 0;

  constructor(
    private fallbackBytesPerSec: number,
    /** Time constant of the average, ms of transfer. */
    private readonly halfLifeMs = 2_000,
  ) {}

  /** Add a sample: `bytes` moved in `durationMs`. */
  add(bytes: number, durationMs: number): void {
    if (bytes <= 0) return;
    const duration = Math.max(durationMs, 1);
    const rate = (bytes * 1000) / duration;
    if (this.estimateBytesPerSec === null) {
      this.estimateBytesPerSec = rate;
    } else {
      const alpha = 1 - 0.5 ** (duration / this.halfLifeMs);
      this.estimateBytesPerSec = alpha * rate + (1 - alpha) * this.estimateBytesPerSec;
    }
    this.samples++;
  }

  /**
   * A transfer moved nothing for a while: halve the estimate (the fallback's, if nothing was
   * measured yet). Halving, not a near-zero sample: one stall on a lossy path (an SCTP
   * retransmit can take seconds) must not rule a peer out for good, since a peer no transfer
   * is asked of never gets the sample that would correct it.
   */
  stalled(): void {
    this.estimateBytesPerSec = (this.estimateBytesPerSec ?? this.fallbackBytesPerSec) / 2;
    this.samples++;
  }

  /** Until measured, assume no more than this (what the peer announced it can upload). */
  assumeAtMost(bytesPerSec: number): void {
    this.fallbackBytesPerSec = Math.min(this.fallbackBytesPerSec, bytesPerSec);
  }

  get bytesPerSec(): number {
    return this.estimateBytesPerSec ?? this.fallbackBytesPerSec;
  }

  get measured(): boolean {
    return this.samples > 0;
  }

  /** Projected ms to move `bytes`. */
  projectMs(bytes: number): number {
    return (bytes * 1000) / Math.max(this.bytesPerSec, 1);
  }
}
