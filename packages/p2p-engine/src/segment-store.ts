import { Emitter } from './emitter.js';
import { parseSegmentKey, segmentKey, type SegmentKey } from './segment-key.js';
import type { CdnReason } from './stats.js';

export type SegmentSource = 'http' | 'p2p' | 'mixed';

/** How a stored segment was transferred: what the player's ABR is told. */
export interface TransferTiming {
  startedAtMs: number;
  firstByteAtMs: number;
  endedAtMs: number;
}

export interface StoredSegment {
  readonly key: SegmentKey;
  readonly rendition: string;
  readonly sequence: number;
  readonly bytes: Uint8Array;
  readonly source: SegmentSource;
  /** Why the CDN was asked for its bytes (null: every byte came from peers). */
  readonly cdnReason: CdnReason | null;
  readonly timing: TransferTiming;
  /** Verified against the signed hash: only verified segments are shared with peers. */
  verified: boolean;
  /** Fetched ahead of the player; `played` turns true when the player asks for it. */
  readonly prefetched: boolean;
  played: boolean;
}

interface StoreEvents {
  /** A verified segment became shareable. */
  added: (segment: StoredSegment) => void;
  /** A segment left the store; `wasted` when it was prefetched and never played. */
  evicted: (segment: StoredSegment, wasted: boolean) => void;
}

/**
 * The segments this peer holds, bounded in bytes, least recently used out first.
 * A Map keeps insertion order; touching a segment re-inserts it at the end.
 */
export class SegmentStore extends Emitter<StoreEvents> {
  private readonly segments = new Map<SegmentKey, StoredSegment>();
  private sizeBytes = 0;

  constructor(private readonly maxBytes: number) {
    super();
  }

  get totalBytes(): number {
    return this.sizeBytes;
  }

  get count(): number {
    return this.segments.size;
  }

  has(rendition: string, sequence: number): boolean {
    return this.segments.has(segmentKey(rendition, sequence));
  }

  /** Look up and mark as recently used. */
  get(rendition: string, sequence: number): StoredSegment | undefined {
    const key = segmentKey(rendition, sequence);
    const segment = this.segments.get(key);
    if (segment) {
      this.segments.delete(key);
      this.segments.set(key, segment);
    }
    return segment;
  }

  /** Look up without touching the LRU order (for uploads: serving others keeps nothing alive). */
  peek(rendition: string, sequence: number): StoredSegment | undefined {
    return this.segments.get(segmentKey(rendition, sequence));
  }

  put(
    segment: Omit<StoredSegment, 'key' | 'rendition' | 'sequence' | 'played'> & {
      rendition: string;
      sequence: number;
      played?: boolean;
    },
  ): StoredSegment | null {
    const key = segmentKey(segment.rendition, segment.sequence);
    if (segment.bytes.byteLength > this.maxBytes) return null;
    const existing = this.segments.get(key);
    if (existing) this.remove(key, false);
    const stored: StoredSegment = { ...segment, key, played: segment.played ?? false };
    this.segments.set(key, stored);
    this.sizeBytes += stored.bytes.byteLength;
    while (this.sizeBytes > this.maxBytes) {
      const oldest = this.segments.keys().next().value as SegmentKey;
      if (oldest === key) break;
      this.remove(oldest, true);
    }
    if (stored.verified) this.emit('added', stored);
    return stored;
  }

  /** A held segment's signed hash was checked after it was stored: it may now be shared. */
  markVerified(rendition: string, sequence: number, bytes: Uint8Array): void {
    const stored = this.segments.get(segmentKey(rendition, sequence));
    if (!stored || stored.verified || stored.bytes !== bytes) return;
    stored.verified = true;
    this.emit('added', stored);
  }

  /** Sequences held (verified) for one rendition, ascending. */
  verifiedSequences(rendition: string): number[] {
    const out: number[] = [];
    for (const segment of this.segments.values()) {
      if (segment.rendition === rendition && segment.verified) out.push(segment.sequence);
    }
    return out.sort((a, b) => a - b);
  }

  renditions(): string[] {
    return [...new Set([...this.segments.values()].map((s) => s.rendition))];
  }

  /** Drop segments of `rendition` with a sequence below `minSequence` (left the live window). */
  dropBelow(rendition: string, minSequence: number): void {
    for (const key of [...this.segments.keys()]) {
      const parsed = parseSegmentKey(key);
      if (parsed.rendition === rendition && parsed.sequence < minSequence) this.remove(key, true);
    }
  }

  /** Empty the store, reporting unplayed prefetches as waste. */
  clear(): void {
    for (const key of [...this.segments.keys()]) this.remove(key, true);
  }

  private remove(key: SegmentKey, reportWaste: boolean): void {
    const segment = this.segments.get(key);
    if (!segment) return;
    this.segments.delete(key);
    this.sizeBytes -= segment.bytes.byteLength;
    this.emit('evicted', segment, reportWaste && segment.prefetched && !segment.played);
  }
}
