import { parseRequestTarget } from '../http/request-target.js';

/**
 * HLS awareness: when a live media playlist changes, the segments it just announced are about
 * to be requested by every viewer (and by the peers the swarm elects to fetch them first). The
 * edge fetches the newest few before anyone asks, so the first viewer gets a hit.
 *
 * Returns the cache keys of the last `count` segments of a live media playlist (plus its
 * EXT-X-MAP init segment), resolved against the playlist's path. Nothing for VOD playlists
 * (EXT-X-ENDLIST), master playlists, absolute or host-relative URIs (another host's business),
 * or URIs the edge would refuse anyway.
 */
export function liveSegmentsToPrefetch(
  playlistPath: string,
  body: string,
  count: number,
  maxUrlBytes: number,
): string[] {
  if (count <= 0 || !body.startsWith('#EXTM3U')) return [];
  const lines = body.split(/\r?\n/).map((line) => line.trim());
  if (
    lines.some((line) => line.startsWith('#EXT-X-ENDLIST') || line.startsWith('#EXT-X-STREAM-INF'))
  ) {
    return [];
  }
  const uris: string[] = [];
  let init: string | undefined;
  for (const line of lines) {
    if (line.startsWith('#EXT-X-MAP:')) init = /URI="([^"]*)"/.exec(line)?.[1];
    else if (line !== '' && !line.startsWith('#')) uris.push(line);
  }
  const wanted = uris.slice(-count);
  if (init !== undefined) wanted.unshift(init);
  const base = playlistPath.slice(0, playlistPath.lastIndexOf('/') + 1);
  const keys: string[] = [];
  for (const uri of wanted) {
    // Only paths relative to the playlist: no scheme, no authority, no absolute path.
    if (/^[a-z][a-z0-9+.-]*:/i.test(uri) || uri.startsWith('/')) continue;
    const target = parseRequestTarget(base + uri, maxUrlBytes);
    if (target.ok && !keys.includes(target.key)) keys.push(target.key);
  }
  return keys;
}
