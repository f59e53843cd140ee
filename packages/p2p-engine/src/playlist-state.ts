/** What the engine knows of each rendition's media playlist (from the player, or its own polls). */

export interface SegmentInfo {
  rendition: string;
  sequence: number;
  url: string;
  /** Position of the segment's start on the player's timeline, seconds. */
  startSec: number;
  durationSec: number;
}

export interface PlaylistUpdate {
  rendition: string;
  playlistUrl: string;
  live: boolean;
  segments: ReadonlyArray<Omit<SegmentInfo, 'rendition'>>;
}

export interface RenditionPlaylist {
  rendition: string;
  playlistUrl: string;
  live: boolean;
  segments: Map<number, SegmentInfo>;
  firstSequence: number;
  lastSequence: number;
  /** When each sequence was first seen (ms): a live segment's age. */
  firstSeenAtMs: Map<number, number>;
  /** When this rendition's playlist was first seen (ms): segments seen then were old news. */
  loadedAtMs: number;
}

/** Live windows are short; VOD playlists can be long. Forget live entries this far behind. */
const LIVE_HISTORY_SEGMENTS = 64;

interface SortedSegments {
  readonly segments: readonly SegmentInfo[];
  /** Starts and ends ascend with the sequence (a timeline without overlaps or jumps back). */
  readonly monotonic: boolean;
}

function sortedIndex(map: ReadonlyMap<number, SegmentInfo>): SortedSegments {
  const segments = [...map.values()];
  // Entries are usually added in sequence order: sort only when they are not.
  let ordered = true;
  for (let i = 1; i < segments.length && ordered; i++)
    ordered = segments[i - 1]!.sequence < segments[i]!.sequence;
  if (!ordered) segments.sort((a, b) => a.sequence - b.sequence);
  let monotonic = true;
  for (let i = 1; i < segments.length && monotonic; i++) {
    const a = segments[i - 1]!;
    const b = segments[i]!;
    monotonic =
      a.startSec <= b.startSec && a.startSec + a.durationSec <= b.startSec + b.durationSec;
  }
  return { segments, monotonic };
}

export class PlaylistState {
  private readonly playlists = new Map<string, RenditionPlaylist>();
  /** Each rendition's segments by sequence, built on first use after an update (ticks read it). */
  private readonly sorted = new Map<string, SortedSegments>();

  update(update: PlaylistUpdate, nowMs: number): { added: SegmentInfo[] } {
    let playlist = this.playlists.get(update.rendition);
    if (!playlist || playlist.playlistUrl !== update.playlistUrl) {
      playlist = {
        rendition: update.rendition,
        playlistUrl: update.playlistUrl,
        live: update.live,
        segments: new Map(),
        firstSequence: Infinity,
        lastSequence: -Infinity,
        firstSeenAtMs: new Map(),
        loadedAtMs: nowMs,
      };
      this.playlists.set(update.rendition, playlist);
    }
    playlist.live = update.live;
    this.sorted.delete(update.rendition);
    const added: SegmentInfo[] = [];
    for (const segment of update.segments) {
      const info: SegmentInfo = { ...segment, rendition: update.rendition };
      if (!playlist.segments.has(segment.sequence)) {
        added.push(info);
        playlist.firstSeenAtMs.set(segment.sequence, nowMs);
      }
      playlist.segments.set(segment.sequence, info);
      playlist.firstSequence = Math.min(playlist.firstSequence, segment.sequence);
      playlist.lastSequence = Math.max(playlist.lastSequence, segment.sequence);
    }
    if (playlist.live) {
      const keepFrom = playlist.lastSequence - LIVE_HISTORY_SEGMENTS;
      for (const sequence of playlist.segments.keys()) {
        if (sequence < keepFrom) {
          playlist.segments.delete(sequence);
          playlist.firstSeenAtMs.delete(sequence);
        }
      }
      playlist.firstSequence = Math.max(playlist.firstSequence, keepFrom);
    }
    return { added };
  }

  get(rendition: string): RenditionPlaylist | undefined {
    return this.playlists.get(rendition);
  }

  /** Listed in the first playlist seen for its rendition: published before this viewer came. */
  wasListedAtLoad(rendition: string, sequence: number): boolean {
    const playlist = this.playlists.get(rendition);
    return playlist !== undefined && playlist.firstSeenAtMs.get(sequence) === playlist.loadedAtMs;
  }

  segment(rendition: string, sequence: number): SegmentInfo | undefined {
    return this.playlists.get(rendition)?.segments.get(sequence);
  }

  /** Segments of a rendition starting within [fromSec, toSec), ascending. */
  segmentsBetween(rendition: string, fromSec: number, toSec: number): SegmentInfo[] {
    const playlist = this.playlists.get(rendition);
    if (!playlist) return [];
    let index = this.sorted.get(rendition);
    if (!index) {
      index = sortedIndex(playlist.segments);
      this.sorted.set(rendition, index);
    }
    const { segments, monotonic } = index;
    const between: SegmentInfo[] = [];
    if (!monotonic) {
      for (const s of segments)
        if (s.startSec + s.durationSec > fromSec && s.startSec < toSec) between.push(s);
      return between;
    }
    // Starts and ends both ascend: the first segment ending after fromSec by bisection, then
    // on until one starts at or after toSec (the ticks of every viewer call this).
    let low = 0;
    let high = segments.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      const s = segments[mid]!;
      if (s.startSec + s.durationSec > fromSec) high = mid;
      else low = mid + 1;
    }
    for (let i = low; i < segments.length; i++) {
      const s = segments[i]!;
      if (!(s.startSec < toSec)) break;
      between.push(s);
    }
    return between;
  }
}
