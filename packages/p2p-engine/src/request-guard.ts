import type { Clock } from './platform.js';
import { TokenBucket } from './token-bucket.js';

/** What to do with a REQUEST or CANCEL frame from a remote peer. */
export type RequestVerdict = 'admit' | 'refuse' | 'flood';

/**
 * Per-peer admission of one kind of frame (REQUEST and CANCEL; HAVE and BITFIELD): a token
 * bucket of `ratePerSec` frames with a burst of twice that. A frame over the rate is refused
 * (a REQUEST answered busy, a HAVE ignored); refusals draw on a second bucket of the same size,
 * so a peer that sends at more than twice the rate for a burst's worth is flooding. An honest
 * viewer sends a few of each a second at most.
 */
export class RequestGuard {
  private readonly admitted: TokenBucket;
  private readonly refused: TokenBucket;

  constructor(clock: Clock, ratePerSec: number) {
    const burst = Math.max(1, Math.ceil(ratePerSec * 2));
    this.admitted = new TokenBucket(clock, ratePerSec, burst);
    this.refused = new TokenBucket(clock, ratePerSec, burst);
  }

  check(): RequestVerdict {
    if (this.admitted.take(1) === 0) return 'admit';
    return this.refused.take(1) === 0 ? 'refuse' : 'flood';
  }
}

/**
 * May a peer with `peerUploads` running take one of the shared upload slots? Never more than
 * `maxPerPeer`, so one peer cannot hold every slot while others wait.
 */
export function mayStartUpload(peerUploads: number, maxPerPeer: number): boolean {
  return peerUploads < maxPerPeer;
}
