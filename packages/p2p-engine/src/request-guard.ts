import type { Clock } from './platform.js';
import { TokenBucket } from './token-bucket.js';

/** What to do with a REQUEST or CANCEL frame from a remote peer. */
export type RequestVerdict = 'admit' | 'refuse' | 'flood';

/**
 * Per-peer admission of REQUEST and CANCEL frames: a token bucket of `ratePerSec` frames with a
 * burst of twice that. A frame over the rate is refused (a REQUEST answered busy, at the cost of
 * one small frame); a peer that keeps sending once refused for a whole burst's worth is flooding.
 * An honest viewer asks for a few segments a second at most.
 */
export class RequestGuard {
  private readonly bucket: TokenBucket;
  private readonly burst: number;
  private refusedInARow = 0;

  constructor(clock: Clock, ratePerSec: number) {
    this.burst = Math.max(1, Math.ceil(ratePerSec * 2));
    this.bucket = new TokenBucket(clock, ratePerSec, this.burst);
  }

  check(): RequestVerdict {
    if (this.bucket.take(1) === 0) {
      this.refusedInARow = 0;
      return 'admit';
    }
    return ++this.refusedInARow > this.burst ? 'flood' : 'refuse';
  }
}

/**
 * May a peer with `peerUploads` running take one of the shared upload slots? Never more than
 * `maxPerPeer`, so one peer cannot hold every slot while others wait.
 */
export function mayStartUpload(peerUploads: number, maxPerPeer: number): boolean {
  return peerUploads < maxPerPeer;
}
