/**
 * How a browser can play an HLS stream, best first for Coral:
 * - `mse`: hls.js on Media Source Extensions (desktop browsers, Android, iPadOS);
 * - `mms`: hls.js on ManagedMediaSource (Safari 17.1+ on iPhone, where MSE is absent);
 * - `native`: the browser's own HLS (`video.src = playlist`; older iPhones): plays from the CDN,
 *   no Coral engine, since nothing can hand the browser's player segments from peers;
 * - `none`: no way to play HLS here.
 */
export type PlaybackMode = 'mse' | 'mms' | 'native' | 'none';

export interface MediaCapabilities {
  /** `Hls.isSupported()`: MSE or MMS with a usable codec. */
  hlsJsSupported: boolean;
  /** `'MediaSource' in window`. */
  mediaSource: boolean;
  /** `'ManagedMediaSource' in window`. */
  managedMediaSource: boolean;
  /** `video.canPlayType('application/vnd.apple.mpegurl') !== ''`. */
  nativeHls: boolean;
}

export function choosePlaybackMode(caps: MediaCapabilities): PlaybackMode {
  // hls.js prefers ManagedMediaSource when both exist (its `preferManagedMediaSource`).
  if (caps.hlsJsSupported && caps.managedMediaSource) return 'mms';
  if (caps.hlsJsSupported && caps.mediaSource) return 'mse';
  if (caps.nativeHls) return 'native';
  return 'none';
}

/** This browser's capabilities, read once. */
export function detectCapabilities(
  hlsJsSupported: boolean,
  video: HTMLVideoElement,
): MediaCapabilities {
  return {
    hlsJsSupported,
    mediaSource: 'MediaSource' in window,
    managedMediaSource: 'ManagedMediaSource' in window,
    nativeHls: video.canPlayType('application/vnd.apple.mpegurl') !== '',
  };
}
