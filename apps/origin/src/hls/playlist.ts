/** The small part of HLS (RFC 8216) the origin reads from ffmpeg and writes for players. */

export interface MediaSegment {
  readonly uri: string;
  readonly durationSec: number;
  /** EXT-X-PROGRAM-DATE-TIME as ffmpeg wrote it (live). */
  readonly programDateTime?: string;
}

export interface MediaPlaylist {
  readonly targetDurationSec: number;
  readonly mediaSequence: number;
  readonly mapUri: string | null;
  readonly segments: readonly MediaSegment[];
  readonly endList: boolean;
}

function attribute(line: string, name: string): string | null {
  const match = new RegExp(`(?:^|[:,])${name}=("([^"]*)"|[^,]*)`).exec(line);
  if (!match) return null;
  return match[2] ?? match[1] ?? null;
}

/** Parse a media playlist. Throws on text that is not one. */
export function parseMediaPlaylist(text: string): MediaPlaylist {
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  if (lines[0] !== '#EXTM3U') throw new Error('not an HLS playlist (no #EXTM3U)');
  let targetDurationSec = 0;
  let mediaSequence = 0;
  let mapUri: string | null = null;
  let endList = false;
  const segments: MediaSegment[] = [];
  let pendingDuration: number | null = null;
  let pendingDate: string | undefined;
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    if (line.startsWith('#EXT-X-TARGETDURATION:')) {
      targetDurationSec = Number(line.slice('#EXT-X-TARGETDURATION:'.length));
    } else if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) {
      mediaSequence = Number(line.slice('#EXT-X-MEDIA-SEQUENCE:'.length));
    } else if (line.startsWith('#EXT-X-MAP:')) {
      mapUri = attribute(line.slice('#EXT-X-MAP:'.length), 'URI');
    } else if (line.startsWith('#EXTINF:')) {
      pendingDuration = Number.parseFloat(line.slice('#EXTINF:'.length));
    } else if (line.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) {
      pendingDate = line.slice('#EXT-X-PROGRAM-DATE-TIME:'.length);
    } else if (line === '#EXT-X-ENDLIST') {
      endList = true;
    } else if (!line.startsWith('#')) {
      if (pendingDuration === null || !Number.isFinite(pendingDuration)) {
        throw new Error(`segment ${line} has no #EXTINF`);
      }
      segments.push({
        uri: line,
        durationSec: pendingDuration,
        ...(pendingDate === undefined ? {} : { programDateTime: pendingDate }),
      });
      pendingDuration = null;
      pendingDate = undefined;
    }
  }
  if (!Number.isInteger(mediaSequence) || mediaSequence < 0) {
    throw new Error('bad #EXT-X-MEDIA-SEQUENCE');
  }
  return { targetDurationSec, mediaSequence, mapUri, segments, endList };
}

export interface RenderMediaPlaylist {
  readonly kind: 'vod' | 'live';
  readonly mediaSequence: number;
  readonly mapUri: string;
  readonly segments: ReadonlyArray<MediaSegment & { readonly discontinuity?: boolean }>;
  readonly endList: boolean;
  /** At least this target duration (the configured segment length). */
  readonly minTargetDurationSec: number;
}

export function renderMediaPlaylist(playlist: RenderMediaPlaylist): string {
  // Every EXTINF rounded to the nearest integer must be <= the target duration (RFC 8216 4.3.3.1).
  const target = Math.max(
    playlist.minTargetDurationSec,
    ...playlist.segments.map((s) => Math.round(s.durationSec)),
  );
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    `#EXT-X-TARGETDURATION:${target}`,
    `#EXT-X-MEDIA-SEQUENCE:${playlist.mediaSequence}`,
  ];
  if (playlist.kind === 'vod') lines.push('#EXT-X-PLAYLIST-TYPE:VOD');
  lines.push('#EXT-X-INDEPENDENT-SEGMENTS', `#EXT-X-MAP:URI="${playlist.mapUri}"`);
  for (const segment of playlist.segments) {
    if (segment.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    if (segment.programDateTime !== undefined) {
      lines.push(`#EXT-X-PROGRAM-DATE-TIME:${segment.programDateTime}`);
    }
    lines.push(`#EXTINF:${segment.durationSec.toFixed(6)},`, segment.uri);
  }
  if (playlist.endList) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

export interface Variant {
  readonly uri: string;
  readonly bandwidth: number;
  readonly averageBandwidth?: number;
  readonly resolution?: { width: number; height: number };
  readonly frameRate?: number;
  readonly codecs: readonly string[];
}

export function renderMasterPlaylist(variants: readonly Variant[]): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS'];
  for (const variant of variants) {
    const attributes = [`BANDWIDTH=${Math.round(variant.bandwidth)}`];
    if (variant.averageBandwidth !== undefined) {
      attributes.push(`AVERAGE-BANDWIDTH=${Math.round(variant.averageBandwidth)}`);
    }
    if (variant.resolution) {
      attributes.push(`RESOLUTION=${variant.resolution.width}x${variant.resolution.height}`);
    }
    if (variant.frameRate !== undefined)
      attributes.push(`FRAME-RATE=${variant.frameRate.toFixed(3)}`);
    attributes.push(`CODECS="${variant.codecs.join(',')}"`);
    lines.push(`#EXT-X-STREAM-INF:${attributes.join(',')}`, variant.uri);
  }
  return `${lines.join('\n')}\n`;
}

/** `seg_00042.m4s` → 42. */
export function segmentNumber(uri: string): number | null {
  const match = /^seg_(\d{1,10})\.m4s$/.exec(uri);
  return match ? Number(match[1]) : null;
}
