import type { SegmentSource, TransferTiming } from './segment-store.js';
import type { CdnReason } from './stats.js';

export interface SegmentRequest {
  rendition: string;
  sequence: number;
  url: string;
  startSec: number;
  durationSec: number;
  /**
   * Bytes of this segment received so far (from any source), as they arrive; `totalBytes`
   * when known (the signed size). Never decreases.
   */
  onProgress?: (loadedBytes: number, totalBytes: number | null) => void;
}

export interface SegmentResult {
  bytes: Uint8Array;
  source: SegmentSource;
  /** Why the CDN was asked for any of its bytes (null: all from peers): see `CdnReason`. */
  cdnReason: CdnReason | null;
  /** The real transfer (which may have begun before the player asked, for a prefetch). */
  timing: TransferTiming;
  /** The player's request was answered from memory, with no transfer of its own. */
  fromStore: boolean;
}
