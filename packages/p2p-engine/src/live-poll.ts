import type { ParsedMediaPlaylist } from './m3u8.js';
import { resolveUri } from './m3u8.js';
import type { SegmentInfo } from './playlist-state.js';

/** What the engine knows of a live playlist when it polls it. */
export interface KnownLivePlaylist {
  playlistUrl: string;
  lastSequence: number;
  segments: ReadonlyMap<number, Pick<SegmentInfo, 'startSec' | 'durationSec'>>;
}

/**
 * The segments a poll found after the last one known, placed on the player's timeline by
 * continuing from that one; they stop at the first gap in sequence numbers. Empty when the
 * last known segment is gone (the player's own reload places them then).
 */
export function newLiveSegments(
  known: KnownLivePlaylist,
  parsed: ParsedMediaPlaylist,
): Array<Omit<SegmentInfo, 'rendition'>> {
  const last = known.segments.get(known.lastSequence);
  if (!last) return [];
  let startSec = last.startSec + last.durationSec;
  const segments: Array<Omit<SegmentInfo, 'rendition'>> = [];
  for (const segment of parsed.segments) {
    if (segment.sequence <= known.lastSequence) continue;
    if (segment.sequence !== known.lastSequence + 1 + segments.length) break;
    segments.push({
      sequence: segment.sequence,
      url: resolveUri(known.playlistUrl, segment.uri),
      startSec,
      durationSec: segment.durationSec,
    });
    startSec += segment.durationSec;
  }
  return segments;
}
