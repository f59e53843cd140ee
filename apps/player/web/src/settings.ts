import { isLiveSyncSegments, STREAM_ID_PATTERN } from '@coral-cdn/protocol';

/** What the page plays and how: from the URL, then what the viewer chose before, then defaults. */
export interface PlayerSettings {
  id: string;
  p2p: boolean;
  /** Ask the origin for an edge in this region (`?region=`). */
  region: string | null;
  /** Cap ABR at this picture height (`?maxHeight=240`: many viewers on a small machine). */
  maxHeight: number | null;
  /**
   * The stream's master playlist (`?src=`, an http(s) URL): hls.js starts on it at once,
   * without waiting for the origin's playback info (which the engine needs only later).
   */
  src: string | null;
  /**
   * Media kept buffered ahead, s (`?bufferSec=`, 1–600), with P2P on or off: null keeps the
   * defaults (12 s with P2P, hls.js's own without). Benchmarks compare the modes like for like.
   */
  bufferSec: number | null;
  /**
   * Live: start this many segments behind the live edge (`?liveSyncSegments=`, 1–10, hls.js
   * `liveSyncDurationCount`): more latency, more time for segments to cross between viewers.
   * null keeps hls.js's 3 (or an LL-HLS playlist's part hold-back, which this would override).
   */
  liveSyncSegments: number | null;
}

export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export const P2P_STORAGE_KEY = 'coral.p2p';
export const DEFAULT_STREAM_ID = 'demo';

function parseSwitch(value: string | null): boolean | null {
  if (value === null) return null;
  if (['1', 'true', 'on', 'yes'].includes(value)) return true;
  if (['0', 'false', 'off', 'no'].includes(value)) return false;
  return null;
}

/**
 * `?p2p=1|0` wins (and is remembered), then the viewer's stored choice, then the operator's
 * default (`P2P_DEFAULT`).
 */
export function readSettings(
  search: string,
  storage: StorageLike | null,
  p2pDefault: boolean,
): PlayerSettings {
  const params = new URLSearchParams(search);
  const requestedId = params.get('id');
  const id =
    requestedId !== null && STREAM_ID_PATTERN.test(requestedId) ? requestedId : DEFAULT_STREAM_ID;
  const fromUrl = parseSwitch(params.get('p2p'));
  const chosen = viewerP2pChoice(search, storage);
  if (fromUrl !== null) saveP2pChoice(storage, fromUrl);
  const region = params.get('region');
  const maxHeight = Number(params.get('maxHeight'));
  const bufferSec = Number(params.get('bufferSec'));
  const liveSyncSegments = Number(params.get('liveSyncSegments'));
  return {
    id,
    p2p: chosen ?? p2pDefault,
    region: region !== null && /^[a-z0-9-]{1,32}$/.test(region) ? region : null,
    maxHeight: Number.isInteger(maxHeight) && maxHeight > 0 ? maxHeight : null,
    src: httpUrl(params.get('src')),
    bufferSec: Number.isFinite(bufferSec) && bufferSec >= 1 && bufferSec <= 600 ? bufferSec : null,
    liveSyncSegments: isLiveSyncSegments(liveSyncSegments) ? liveSyncSegments : null,
  };
}

/**
 * The viewer's own P2P choice, `?p2p=` then the stored one; null when only the operator's
 * default (`/config.json`) can say. Reads only: `readSettings` remembers a URL choice.
 */
export function viewerP2pChoice(search: string, storage: StorageLike | null): boolean | null {
  const fromUrl = parseSwitch(new URLSearchParams(search).get('p2p'));
  if (fromUrl !== null) return fromUrl;
  try {
    return parseSwitch(storage?.getItem(P2P_STORAGE_KEY) ?? null);
  } catch {
    return null; // storage disabled
  }
}

function httpUrl(value: string | null): string | null {
  if (value === null) return null;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

export function saveP2pChoice(storage: StorageLike | null, on: boolean): void {
  try {
    storage?.setItem(P2P_STORAGE_KEY, on ? '1' : '0');
  } catch {
    // Storage disabled (private mode): the choice lasts for this page only.
  }
}

export function isStreamId(value: string): boolean {
  return STREAM_ID_PATTERN.test(value);
}
