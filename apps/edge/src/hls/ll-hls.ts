import { parseRequestTarget } from '../http/request-target.js';

/**
 * Low-latency HLS at the edge. A blocking playlist request (`_HLS_msn`, optionally
 * `_HLS_part`) is held by the origin until that part exists; the edge coalesces them by key
 * (playlist + msn + part, the only query it keeps on playlists), never answers them with a
 * stale playlist, and gives them a longer origin timeout. The parts a playlist lists and the
 * part its EXT-X-PRELOAD-HINT announces are immutable; a request for the hinted part blocks at
 * the origin until the part is published, so the edge asks for it as soon as it sees the hint:
 * viewers arriving later join that one request.
 */

/** True for a playlist key that asks the origin to block (`_HLS_msn=`). */
export function isBlockingPlaylistKey(key: string): boolean {
  return /[?&]_HLS_msn=/.test(key);
}

function attribute(line: string, name: string): string | undefined {
  return new RegExp(`[:,]${name}="([^"]*)"`).exec(line)?.[1];
}

/** Keys of the parts listed (EXT-X-PART) and hinted (EXT-X-PRELOAD-HINT TYPE=PART). */
export function partKeys(
  playlistPath: string,
  body: string,
  maxUrlBytes: number,
): { parts: string[]; hints: string[] } {
  const parts: string[] = [];
  const hints: string[] = [];
  if (!body.startsWith('#EXTM3U')) return { parts, hints };
  const base = playlistPath.slice(0, playlistPath.lastIndexOf('/') + 1);
  const resolve = (uri: string | undefined): string | undefined => {
    // Relative URIs only: another host's parts are not this edge's business.
    if (uri === undefined || /^[a-z][a-z0-9+.-]*:/i.test(uri) || uri.startsWith('/')) {
      return undefined;
    }
    const target = parseRequestTarget(base + uri, maxUrlBytes);
    return target.ok ? target.key : undefined;
  };
  for (const rawLine of body.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line.startsWith('#EXT-X-PART:')) {
      const key = resolve(attribute(line, 'URI'));
      if (key !== undefined) parts.push(key);
    } else if (line.startsWith('#EXT-X-PRELOAD-HINT:') && /TYPE=PART/.test(line)) {
      const key = resolve(attribute(line, 'URI'));
      if (key !== undefined) hints.push(key);
    }
  }
  return { parts, hints };
}
