import type { MediaInfo } from '../ffmpeg/probe.js';

/**
 * The ABR ladder. A rung is written `<size>:<video bitrate>:<audio bitrate>`, e.g.
 * `720:2800k:128k`; `size` is the short side of the picture (720 is 1280x720 landscape and
 * 720x1280 portrait), and names the rendition (`720p`). A source smaller than a rung is never
 * upscaled: the rung is clamped to the source size (its bitrate scaled by the pixel count) and
 * rungs that become duplicates are dropped.
 */
export interface LadderRung {
  readonly size: number;
  readonly videoKbps: number;
  readonly audioKbps: number;
}

export interface VideoRendition {
  readonly width: number;
  readonly height: number;
  readonly bitrateKbps: number;
}

export interface Rendition {
  /** Folder name and rendition id: `720p`, `480p`, …, or `audio` for an audio-only input. */
  readonly name: string;
  readonly video?: VideoRendition;
  readonly audio?: { readonly bitrateKbps: number };
}

export const DEFAULT_LADDER = '720:2800k:128k,480:1400k:96k,240:400k:64k';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

function parseKbps(text: string): number | null {
  const match = /^(\d+)(k|M)?$/.exec(text.trim());
  if (!match) return null;
  const value = Number(match[1]) * (match[2] === 'M' ? 1000 : 1);
  return value > 0 ? value : null;
}

export function parseLadder(text: string): ParseResult<LadderRung[]> {
  const rungs: LadderRung[] = [];
  for (const item of text.split(',').map((part) => part.trim())) {
    if (item === '') continue;
    const [sizeText = '', videoText = '', audioText = '128k', ...rest] = item.split(':');
    const size = Number(/^(\d+)p?$/.exec(sizeText.trim())?.[1]);
    const videoKbps = parseKbps(videoText);
    const audioKbps = parseKbps(audioText);
    if (rest.length > 0 || !Number.isInteger(size) || size < 16 || size > 4320 || size % 2 !== 0) {
      return { ok: false, error: `"${item}": expected <even size>:<video kbps>k:<audio kbps>k` };
    }
    if (videoKbps === null || audioKbps === null) {
      return { ok: false, error: `"${item}": bitrates look like 2800k or 3M` };
    }
    if (rungs.some((rung) => rung.size === size)) {
      return { ok: false, error: `size ${size} is listed twice` };
    }
    rungs.push({ size, videoKbps, audioKbps });
  }
  if (rungs.length === 0) return { ok: false, error: 'the ladder needs at least one rung' };
  rungs.sort((a, b) => b.size - a.size);
  return { ok: true, value: rungs };
}

const even = (value: number) => Math.max(2, Math.round(value / 2) * 2);

/** Which renditions to make from a source, largest first. */
export function planRenditions(media: MediaInfo, ladder: readonly LadderRung[]): Rendition[] {
  const topAudioKbps = ladder[0]?.audioKbps ?? 128;
  if (!media.video) {
    return media.audio ? [{ name: 'audio', audio: { bitrateKbps: topAudioKbps } }] : [];
  }
  const { width, height } = media.video;
  const shortSide = Math.min(width, height);
  const landscape = width >= height;
  const renditions: Rendition[] = [];
  for (const rung of ladder) {
    const size = Math.min(rung.size, even(shortSide));
    if (renditions.some((r) => r.video && Math.min(r.video.width, r.video.height) === size)) {
      continue;
    }
    const longSide = even((size * Math.max(width, height)) / shortSide);
    const scale = size < rung.size ? (size / rung.size) ** 2 : 1;
    renditions.push({
      name: `${size}p`,
      video: {
        width: landscape ? longSide : size,
        height: landscape ? size : longSide,
        bitrateKbps: Math.max(1, Math.round(rung.videoKbps * scale)),
      },
      ...(media.audio ? { audio: { bitrateKbps: rung.audioKbps } } : {}),
    });
  }
  return renditions;
}

/** A ladder applied to a source whose size is unknown in advance (a live push). */
export function planUnknownSizeRenditions(
  ladder: readonly LadderRung[],
  withAudio: boolean,
): Rendition[] {
  return ladder.map((rung) => ({
    name: `${rung.size}p`,
    // The height is the rung; the width follows the source's aspect ratio (scale=-2:<size>).
    video: { width: 0, height: rung.size, bitrateKbps: rung.videoKbps },
    ...(withAudio ? { audio: { bitrateKbps: rung.audioKbps } } : {}),
  }));
}
