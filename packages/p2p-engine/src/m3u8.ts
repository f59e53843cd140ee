/**
 * Just enough of an HLS media playlist parser for the engine's own live-edge polls: media
 * sequence, segment durations and URIs. hls.js remains the playlist authority for playback.
 */
export interface ParsedMediaPlaylist {
  mediaSequence: number;
  targetDurationSec: number | null;
  endList: boolean;
  segments: Array<{ sequence: number; uri: string; durationSec: number }>;
}

export function parseMediaPlaylist(text: string): ParsedMediaPlaylist | null {
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  if (lines[0] !== '#EXTM3U') return null;
  let mediaSequence = 0;
  let targetDurationSec: number | null = null;
  let endList = false;
  let pendingDuration: number | null = null;
  const segments: ParsedMediaPlaylist['segments'] = [];
  for (const line of lines) {
    if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) {
      mediaSequence = Number(line.slice('#EXT-X-MEDIA-SEQUENCE:'.length));
      if (!Number.isInteger(mediaSequence) || mediaSequence < 0) return null;
    } else if (line.startsWith('#EXT-X-TARGETDURATION:')) {
      targetDurationSec = Number(line.slice('#EXT-X-TARGETDURATION:'.length));
    } else if (line === '#EXT-X-ENDLIST') {
      endList = true;
    } else if (line.startsWith('#EXTINF:')) {
      pendingDuration = Number.parseFloat(line.slice('#EXTINF:'.length));
      if (!Number.isFinite(pendingDuration)) return null;
    } else if (line.length > 0 && !line.startsWith('#')) {
      if (pendingDuration === null) continue;
      segments.push({
        sequence: mediaSequence + segments.length,
        uri: line,
        durationSec: pendingDuration,
      });
      pendingDuration = null;
    }
  }
  return { mediaSequence, targetDurationSec, endList, segments };
}

/** Resolve a playlist-relative URI (our origin writes plain relative file names). */
export function resolveUri(baseUrl: string, uri: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(uri)) return uri;
  const query = baseUrl.indexOf('?');
  const path = query < 0 ? baseUrl : baseUrl.slice(0, query);
  if (uri.startsWith('/')) {
    const origin = /^[a-z][a-z0-9+.-]*:\/\/[^/]+/i.exec(path);
    return origin ? origin[0] + uri : uri;
  }
  return path.slice(0, path.lastIndexOf('/') + 1) + uri;
}

export interface MasterVariant {
  uri: string;
  bandwidth: number;
  resolution: string | null;
  codecs: string | null;
}

/** The variants of a master playlist, in playlist order. */
export function parseMasterPlaylist(text: string): MasterVariant[] | null {
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  if (lines[0] !== '#EXTM3U') return null;
  const variants: MasterVariant[] = [];
  let pending: Omit<MasterVariant, 'uri'> | null = null;
  for (const line of lines) {
    if (line.startsWith('#EXT-X-STREAM-INF:')) {
      const attributes = line.slice('#EXT-X-STREAM-INF:'.length);
      const attribute = (name: string) =>
        new RegExp(`(?:^|,)${name}=("([^"]*)"|[^,]*)`).exec(attributes);
      const bandwidth = Number(attribute('BANDWIDTH')?.[1] ?? NaN);
      const resolution = attribute('RESOLUTION')?.[1] ?? null;
      const codecs = attribute('CODECS')?.[2] ?? null;
      pending = { bandwidth: Number.isFinite(bandwidth) ? bandwidth : 0, resolution, codecs };
    } else if (pending && line.length > 0 && !line.startsWith('#')) {
      variants.push({ ...pending, uri: line });
      pending = null;
    }
  }
  return variants;
}

/** The rendition name of a media playlist URL: its folder (`.../240p/index.m3u8` → `240p`). */
export function renditionOfPlaylistUrl(url: string): string {
  const path = url.split('?')[0] ?? url;
  const parts = path.split('/');
  return parts[parts.length - 2] ?? 'default';
}
