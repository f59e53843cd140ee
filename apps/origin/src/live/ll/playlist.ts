import type { PartPosition } from './blocking.js';
import { partUri, type LlRendition } from './rendition.js';

/** LL-HLS timing of a channel: the part target and the segment length. */
export interface LlTiming {
  /** EXT-X-PART-INF PART-TARGET: every part is at most this long. */
  readonly partTargetSec: number;
  readonly segmentSec: number;
}

/** Parts are listed for the segments of the last three target durations (RFC 8216bis 4.4.4.9). */
const PART_LISTING_SEGMENTS = 3;

export function partHoldBackSec(timing: LlTiming): number {
  return Math.round(timing.partTargetSec * 3 * 1000) / 1000;
}

/**
 * Where the next part will be: after the last one, in the same segment unless that segment is
 * already about a segment long (the next keyframe, forced every segment, will open a new one).
 */
export function nextPartHint(rendition: LlRendition, timing: LlTiming): PartPosition | null {
  if (rendition.ended) return null;
  const last = rendition.segments.at(-1);
  if (!last || last.complete) return { msn: rendition.upcomingSequence, part: 0 };
  const sumSec = last.parts.reduce((sum, p) => sum + p.entry.durationSec, 0);
  if (sumSec + timing.partTargetSec / 2 >= timing.segmentSec) {
    return { msn: last.sequence + 1, part: 0 };
  }
  return { msn: last.sequence, part: last.parts.length };
}

const seconds = (value: number) => value.toFixed(5).replace(/0+$/, '').replace(/\.$/, '.0');

/** The media playlist of one LL rendition, with reports on its sibling renditions. */
export function renderLlPlaylist(
  rendition: LlRendition,
  siblings: readonly LlRendition[],
  timing: LlTiming,
): string | null {
  const init = rendition.init;
  const first = rendition.segments[0];
  if (!init || !first || first.parts.length === 0) return null;
  const completeDurations = rendition.segments.flatMap((s) =>
    s.complete ? [s.complete.entry.durationSec] : [],
  );
  const target = Math.max(timing.segmentSec, ...completeDurations.map((d) => Math.round(d)));
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    `#EXT-X-TARGETDURATION:${target}`,
    `#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=${seconds(partHoldBackSec(timing))}`,
    `#EXT-X-PART-INF:PART-TARGET=${seconds(timing.partTargetSec)}`,
    `#EXT-X-MEDIA-SEQUENCE:${first.sequence}`,
    '#EXT-X-INDEPENDENT-SEGMENTS',
    `#EXT-X-MAP:URI="${init.entry.uri}"`,
  ];
  const segments = rendition.segments;
  const listPartsFrom = segments.length - PART_LISTING_SEGMENTS;
  for (const [index, segment] of segments.entries()) {
    lines.push(`#EXT-X-PROGRAM-DATE-TIME:${segment.programDateTime}`);
    if (index >= listPartsFrom || !segment.complete) {
      for (const part of segment.parts) {
        const { durationSec, uri, independent } = part.entry;
        lines.push(
          `#EXT-X-PART:DURATION=${seconds(durationSec)},URI="${uri}"${independent ? ',INDEPENDENT=YES' : ''}`,
        );
      }
    }
    if (segment.complete) {
      lines.push(
        `#EXTINF:${seconds(segment.complete.entry.durationSec)},`,
        segment.complete.entry.uri,
      );
    }
  }
  const hint = nextPartHint(rendition, timing);
  if (hint) lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${partUri(hint.msn, hint.part)}"`);
  for (const sibling of siblings) {
    if (sibling === rendition) continue;
    const last = sibling.lastPart;
    if (!last) continue;
    lines.push(
      `#EXT-X-RENDITION-REPORT:URI="../${sibling.name}/index.m3u8",LAST-MSN=${last.msn},LAST-PART=${last.part}`,
    );
  }
  if (rendition.ended) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}
