import type { EngineConfig } from './config.js';
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

/**
 * Concurrent uploads for an uplink cap: the configured slots, but no more than the cap can
 * serve at `minBitsPerSecPerUpload` each, and at least one. A 1 Mbit/s home then serves one
 * peer at a time (at the default 1 Mbit/s per upload) and tells the others at once that it is
 * busy (they ask another holder or the CDN in time), instead of starving all of them towards
 * their deadlines.
 */
export function uploadSlotsFor(
  configuredSlots: number,
  capBitsPerSec: number,
  minBitsPerSecPerUpload: number,
): number {
  const carried = Math.floor(capBitsPerSec / minBitsPerSecPerUpload);
  return Math.max(1, Math.min(configuredSlots, carried));
}

/** The limiter an engine's config asks for: its cap, and its slots for that cap. */
export function uploadLimiterFor(
  clock: Clock,
  config: Pick<
    EngineConfig,
    'uploadSlots' | 'uploadCapBitsPerSec' | 'minUploadSlotBitsPerSec' | 'maxMessageBytes'
  >,
): UploadLimiter {
  const { uploadSlots, uploadCapBitsPerSec, minUploadSlotBitsPerSec, maxMessageBytes } = config;
  const slots = uploadSlotsFor(uploadSlots, uploadCapBitsPerSec, minUploadSlotBitsPerSec);
  return new UploadLimiter(clock, slots, uploadCapBitsPerSec, maxMessageBytes);
}
