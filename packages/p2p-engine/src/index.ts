export * from './platform.js';
export * from './errors.js';
export * from './config.js';
export * from './engine.js';
export type { SegmentRequest, SegmentResult } from './scheduler.js';
export type { PlaylistUpdate, SegmentInfo } from './playlist-state.js';
export type { PlaybackUpdate } from './playback-clock.js';
export type { CdnReason, EngineStats, PeerConnectionStats, PeerStats } from './stats.js';
export { emptyCdnReasons } from './stats.js';
export type { SegmentSource, TransferTiming } from './segment-store.js';
export { parseMediaPlaylist, resolveUri } from './m3u8.js';
export { parseMasterPlaylist, renditionOfPlaylistUrl, type MasterVariant } from './m3u8.js';
export {
  HeadlessPlayer,
  type HeadlessPlayerOptions,
  type HeadlessPlayerStats,
  type PlayerEngine,
} from './headless-player.js';
export { bytesToText } from './text.js';
export * from './adapters/fetch-http.js';
export * from './adapters/websocket.js';
export * from './adapters/rtc.js';
export {
  candidateAllowed,
  candidateTypeOf,
  emptyPairCounts,
  pairTypeOf,
  PAIR_TYPES,
  selectedPath,
  withoutRelayCandidates,
  type PairCounts,
  type PairType,
  type SelectedPath,
} from './connectivity.js';
export type { PartRequest, PartResult } from './part-loader.js';
export { emptyPartStats, type PartStats } from './part-stats.js';
export { uploadSlotsFor } from './upload-limiter.js';
export type { PartCdnReason } from './part-decision.js';
export type { PartName } from './part-key.js';
