/** What the edge benchmark serves: 1 MiB fMP4-sized segments and ~1 KiB media playlists. */

export const SEGMENT_BYTES = 1024 * 1024;
export const SEGMENT_COUNT = 16;
export const PLAYLIST_COUNT = 4;

export interface BenchObject {
  readonly path: string;
  readonly body: Buffer;
  readonly contentType: string;
  readonly cacheControl: string;
}

export function segmentPaths(): string[] {
  return Array.from({ length: SEGMENT_COUNT }, (_, i) => `/vod/bench/720p/seg_${i}.m4s`);
}

export function playlistPaths(): string[] {
  return ['720p', '480p', '360p', '240p']
    .slice(0, PLAYLIST_COUNT)
    .map((r) => `/vod/bench/${r}/index.m3u8`);
}

function playlist(rendition: string): Buffer {
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    '#EXT-X-TARGETDURATION:2',
    '#EXT-X-PLAYLIST-TYPE:VOD',
  ];
  lines.push('#EXT-X-MEDIA-SEQUENCE:0', `#EXT-X-MAP:URI="init.mp4"`);
  for (let i = 0; lines.join('\n').length < 1000; i++)
    lines.push('#EXTINF:2.000000,', `seg_${i}.m4s`);
  lines.push('#EXT-X-ENDLIST', `# ${rendition}`);
  return Buffer.from(`${lines.join('\n')}\n`);
}

export function benchObjects(): BenchObject[] {
  const segments = segmentPaths().map((path, i) => {
    const body = Buffer.alloc(SEGMENT_BYTES);
    for (let offset = 0; offset < body.length; offset += 4)
      body.writeUInt32LE((offset * 2_654_435_761 + i) >>> 0, offset);
    return {
      path,
      body,
      contentType: 'video/iso.segment',
      cacheControl: 'public, max-age=31536000, immutable',
    };
  });
  const playlists = playlistPaths().map((path) => ({
    path,
    body: playlist(path.split('/')[3]!),
    contentType: 'application/vnd.apple.mpegurl',
    cacheControl: 'public, max-age=3600',
  }));
  return [...segments, ...playlists];
}
