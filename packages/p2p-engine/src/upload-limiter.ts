import type { Clock } from './platform.js';
import { TokenBucket } from './token-bucket.js';

/**
 * What this peer may upload, shared by every peer session: a number of concurrent upload slots
 * and a cap in bits per second.
 */
export class UploadLimiter {
  private active = 0;
  private readonly bucket: TokenBucket;

  constructor(
    clock: Clock,
    readonly slots: number,
    capBitsPerSec: number,
    maxMessageBytes: number,
  ) {
    const bytesPerSec = capBitsPerSec / 8;
    // A burst of a quarter second, but never less than one message (or nothing would ever go).
    this.bucket = new TokenBucket(clock, bytesPerSec, Math.max(maxMessageBytes, bytesPerSec / 4));
  }

  get activeUploads(): number {
    return this.active;
  }

  tryAcquireSlot(): boolean {
    if (this.active >= this.slots) return false;
    this.active++;
    return true;
  }

  releaseSlot(): void {
    this.active = Math.max(0, this.active - 1);
  }

  /** 0 if `bytes` may be sent now (and they are counted), else the ms to wait. */
  take(bytes: number): number {
    return this.bucket.take(bytes);
  }
}
