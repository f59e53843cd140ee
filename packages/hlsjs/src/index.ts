export { createCoralHls, type CoralHls, type CreateCoralHlsOptions } from './create.js';
export {
  CoralHlsIntegration,
  browserClock,
  type CoralEngineLike,
  type CoralHlsIntegrationOptions,
  type SegmentDelivery,
} from './integration.js';
export {
  createBrowserPlatform,
  iceServersForPolicy,
  P2pUnavailableError,
  p2pUnavailableReason,
  type BrowserPlatformOptions,
  type P2pUnavailableReason,
} from './browser-platform.js';
export { DeferredEngine } from './deferred-engine.js';
export { fetchPlaybackInfo, PlaybackInfoError } from './playback-info.js';
export { createFragmentLoaderClass } from './fragment-loader.js';
export { createPlaylistLoaderClass } from './playlist-loader.js';
export type { SegmentRouter } from './router.js';
export {
  PlaybackObserver,
  type MediaLike,
  type PlaybackQoe,
  type PlaybackSink,
  type PlaybackState,
} from './playback-observer.js';
export type { CoralStats } from './stats.js';
export type { DoubleLoadStats } from './double-loads.js';
export type { PlaybackInfo } from '@coral-cdn/protocol';
export type {
  CdnReason,
  EngineConfig,
  EngineStats,
  PairCounts,
  PairType,
  PeerConnectionStats,
  PeerStats,
} from '@coral-cdn/p2p-engine';
