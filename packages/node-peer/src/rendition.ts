import {
  parseMasterPlaylist,
  parseMediaPlaylist,
  renditionOfPlaylistUrl,
  resolveUri,
} from '@coral-cdn/p2p-engine';
import { NodePeerError } from './errors.js';

export interface RenditionChoice {
  /** Rendition name: the media playlist's folder (`240p`). */
  rendition: string;
  playlistUrl: string;
  /** BANDWIDTH from the master playlist, bit/s (null when given a media playlist). */
  bandwidth: number | null;
  /** Every rendition the master playlist lists. */
  available: string[];
}

const MAX_PLAYLIST_CHARS = 256 * 1024;

/**
 * Choose the rendition to play from a master playlist: the one named `wanted`, or the lowest
 * bandwidth one (what load tests want on a shared machine). A URL that is already a media
 * playlist is played as it is.
 */
export async function chooseRendition(
  manifestUrl: string,
  wanted?: string,
  signal?: AbortSignal,
): Promise<RenditionChoice> {
  let text: string;
  try {
    const response = await fetch(manifestUrl, signal ? { signal } : {});
    if (!response.ok) throw new Error(`status ${response.status}`);
    text = (await response.text()).slice(0, MAX_PLAYLIST_CHARS);
  } catch (error) {
    throw new NodePeerError('master_playlist', `GET ${manifestUrl} failed: ${String(error)}`, {
      cause: error,
    });
  }
  const variants = parseMasterPlaylist(text);
  if (variants === null) {
    throw new NodePeerError('master_playlist', `${manifestUrl} is not an HLS playlist`);
  }
  if (variants.length === 0) {
    const media = parseMediaPlaylist(text);
    if (!media) throw new NodePeerError('master_playlist', `${manifestUrl} lists no renditions`);
    const rendition = renditionOfPlaylistUrl(manifestUrl);
    if (wanted !== undefined && wanted !== rendition) {
      throw new NodePeerError(
        'unknown_rendition',
        `${manifestUrl} is the media playlist of "${rendition}", not "${wanted}"`,
      );
    }
    return { rendition, playlistUrl: manifestUrl, bandwidth: null, available: [rendition] };
  }
  const candidates = variants.map((variant) => {
    const playlistUrl = resolveUri(manifestUrl, variant.uri);
    return {
      rendition: renditionOfPlaylistUrl(playlistUrl),
      playlistUrl,
      bandwidth: variant.bandwidth,
    };
  });
  const available = candidates.map((candidate) => candidate.rendition);
  const chosen =
    wanted === undefined
      ? [...candidates].sort((a, b) => a.bandwidth - b.bandwidth)[0]
      : candidates.find((candidate) => candidate.rendition === wanted);
  if (!chosen) {
    throw new NodePeerError(
      'unknown_rendition',
      `no rendition "${wanted}" in ${manifestUrl} (available: ${available.join(', ')})`,
    );
  }
  return { ...chosen, available };
}
