export {
  NodePeer,
  nodePeerEngineDefaults,
  type ExplicitSource,
  type NodePeerMode,
  type NodePeerOptions,
  type NodePeerState,
  type NodePeerStats,
  type OriginSource,
  type StreamSource,
} from './node-peer.js';
export { createNodePlatform, nodeClock, type NodePlatformOptions } from './platform.js';
export {
  createWeriftPeerConnection,
  WERIFT_MAX_MESSAGE_BYTES,
  type WeriftPeerConnectionOptions,
} from './werift-peer-connection.js';
export { createDataFrameCorrupter, type CorruptionCounters } from './corrupt.js';
export { fetchPlaybackInfo } from './playback-info.js';
export { chooseRendition, type RenditionChoice } from './rendition.js';
export { NodePeerError } from './errors.js';
export {
  PeerFleet,
  type FleetOptions,
  type FleetPeerStats,
  type FleetReport,
  type FleetTotals,
  type ProcessStats,
} from './fleet.js';
export { admitHandshake, applyWeriftDtlsFix, gateHandshakes } from './werift-dtls-fix.js';
export { applyWeriftSctpTimers, boundedRtoSec } from './werift-sctp-timers.js';
