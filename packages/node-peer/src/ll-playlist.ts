/**
 * An LL-HLS media playlist as the part follower needs it: complete segments and parts, each
 * placed on one timeline (seconds) that stays the same from one reload to the next.
 */

export interface LlSegment {
  sequence: number;
  uri: string;
  durationSec: number;
  startSec: number;
}

export interface LlPart {
  sequence: number;
  /** Index of the part within its segment. */
  part: number;
  uri: string;
  durationSec: number;
  startSec: number;
}

export interface LlPlaylist {
  segments: LlSegment[];
  parts: LlPart[];
  partTargetSec: number | null;
  ended: boolean;
}

const PART_LINE = /^#EXT-X-PART:(.*)$/;

function attribute(attributes: string, name: string): string | undefined {
  const match = new RegExp(`(?:^|,)${name}=("([^"]*)"|[^,]*)`).exec(attributes);
  return match ? (match[2] ?? match[1]) : undefined;
}

/**
 * Parse a media playlist with parts. `knownStartsSec` maps sequences placed by an earlier
 * reload to their start; the first reload puts its first segment at 0. Null when the text is
 * not a playlist or shares no sequence with what is known (the follower starts over).
 */
export function parseLlPlaylist(
  text: string,
  knownStartsSec: ReadonlyMap<number, number>,
): LlPlaylist | null {
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  if (lines[0] !== '#EXTM3U') return null;
  let sequence = 0;
  let partTargetSec: number | null = null;
  let ended = false;
  let pendingDurationSec: number | null = null;
  // Offsets from the first listed segment's start, fixed below once the anchor is known.
  const segments: LlSegment[] = [];
  const parts: LlPart[] = [];
  let offsetSec = 0;
  let partOffsetSec = 0;
  let partIndex = 0;
  for (const line of lines) {
    if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) {
      sequence = Number(line.slice('#EXT-X-MEDIA-SEQUENCE:'.length));
      if (!Number.isInteger(sequence) || sequence < 0) return null;
    } else if (line.startsWith('#EXT-X-PART-INF:')) {
      const target = Number(attribute(line.slice('#EXT-X-PART-INF:'.length), 'PART-TARGET'));
      partTargetSec = Number.isFinite(target) ? target : null;
    } else if (line === '#EXT-X-ENDLIST') {
      ended = true;
    } else if (PART_LINE.test(line)) {
      const attributes = PART_LINE.exec(line)![1]!;
      const uri = attribute(attributes, 'URI');
      const durationSec = Number(attribute(attributes, 'DURATION'));
      if (!uri || !Number.isFinite(durationSec)) return null;
      parts.push({ sequence, part: partIndex++, uri, durationSec, startSec: partOffsetSec });
      partOffsetSec += durationSec;
    } else if (line.startsWith('#EXTINF:')) {
      pendingDurationSec = Number.parseFloat(line.slice('#EXTINF:'.length));
      if (!Number.isFinite(pendingDurationSec)) return null;
    } else if (line.length > 0 && !line.startsWith('#') && pendingDurationSec !== null) {
      segments.push({ sequence, uri: line, durationSec: pendingDurationSec, startSec: offsetSec });
      offsetSec += pendingDurationSec;
      // The parts of the next segment start where this segment ends.
      partOffsetSec = offsetSec;
      partIndex = 0;
      pendingDurationSec = null;
      sequence++;
    }
  }
  const anchor = [...segments, ...parts].find((item) => knownStartsSec.has(item.sequence));
  let shiftSec = 0;
  if (anchor) {
    const firstOfAnchor =
      segments.find((s) => s.sequence === anchor.sequence)?.startSec ??
      parts.find((p) => p.sequence === anchor.sequence && p.part === 0)?.startSec;
    if (firstOfAnchor === undefined) return null;
    shiftSec = knownStartsSec.get(anchor.sequence)! - firstOfAnchor;
  } else if (knownStartsSec.size > 0) {
    return null;
  }
  for (const item of [...segments, ...parts]) item.startSec += shiftSec;
  return { segments, parts, partTargetSec, ended };
}
