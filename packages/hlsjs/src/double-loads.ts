/**
 * Media hls.js loaded twice within one rendition. In low-latency mode a segment's media can
 * come as its parts and again as the whole segment (or the reverse), and a part can be loaded
 * twice (a retry after a timeout, a reload after a buffer flush). Each repeat costs a download
 * unless the engine answers it from memory.
 */
export interface DoubleLoadStats {
  /** Whole segments loaded after some of their parts had been. */
  segmentsAfterParts: number;
  /** Parts loaded after their whole segment had been. */
  partsAfterSegment: number;
  /** Parts loaded a second time. */
  partsTwice: number;
  /** Whole segments loaded a second time. */
  segmentsTwice: number;
  /** Bytes of those repeats that came over the network (from the CDN or peers, not memory). */
  downloadedBytes: number;
}

export function emptyDoubleLoadStats(): DoubleLoadStats {
  return {
    segmentsAfterParts: 0,
    partsAfterSegment: 0,
    partsTwice: 0,
    segmentsTwice: 0,
    downloadedBytes: 0,
  };
}

/** One load hls.js finished: a whole segment (`part` null) or one of its parts. */
export interface MediaLoad {
  rendition: string;
  sequence: number;
  part: number | null;
  sizeBytes: number;
  /** Answered from the engine's memory: no download. */
  fromMemory: boolean;
}

interface Loaded {
  whole: boolean;
  parts: Set<number>;
}

/** What one more load of a segment's media is, given what was loaded of it before. */
export function classifyLoad(
  before: Readonly<Loaded> | undefined,
  part: number | null,
): keyof Omit<DoubleLoadStats, 'downloadedBytes'> | null {
  if (!before) return null;
  if (part === null) {
    if (before.whole) return 'segmentsTwice';
    return before.parts.size > 0 ? 'segmentsAfterParts' : null;
  }
  if (before.parts.has(part)) return 'partsTwice';
  return before.whole ? 'partsAfterSegment' : null;
}

/** Segments remembered per tracker (a live window holds a handful, a VOD session more). */
const MAX_SEGMENTS = 128;

/** Counts double loads (`DoubleLoadStats`) over the segments loaded most recently. */
export class DoubleLoadTracker {
  private readonly loaded = new Map<string, Loaded>();
  private readonly counts = emptyDoubleLoadStats();

  get stats(): DoubleLoadStats {
    return { ...this.counts };
  }

  record(load: MediaLoad): void {
    const key = `${load.rendition}/${load.sequence}`;
    const before = this.loaded.get(key);
    const kind = classifyLoad(before, load.part);
    if (kind) {
      this.counts[kind]++;
      if (!load.fromMemory) this.counts.downloadedBytes += load.sizeBytes;
    }
    const entry = before ?? { whole: false, parts: new Set<number>() };
    if (load.part === null) entry.whole = true;
    else entry.parts.add(load.part);
    // Re-inserted: the map's order is then the order of last use.
    this.loaded.delete(key);
    this.loaded.set(key, entry);
    while (this.loaded.size > MAX_SEGMENTS) {
      const oldest = this.loaded.keys().next().value;
      if (oldest === undefined) break;
      this.loaded.delete(oldest);
    }
  }
}
