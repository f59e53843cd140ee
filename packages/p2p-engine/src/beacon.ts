import type { BeaconStats } from '@coral-cdn/protocol';
import type { EngineStats } from './stats.js';

/** The beacon a viewer sends its tracker: its engine stats, in the protocol's fields. */
export function beaconOf(stats: EngineStats): BeaconStats {
  const connections = stats.peerConnections;
  return {
    httpBytes: stats.httpBytes,
    p2pBytes: stats.p2pBytes,
    uploadedBytes: stats.uploadedBytes,
    peers: stats.peers,
    stalls: stats.stalls,
    stallMs: Math.round(stats.stallMs),
    startupMs: stats.startupMs === null ? null : Math.round(stats.startupMs),
    fallbacks: stats.fallbacks,
    integrityFailures: stats.integrityFailures,
    prefetchWastedBytes: stats.prefetchWastedBytes,
    bufferSec: null,
    peerAttempts: connections.attempts,
    peerFailures: connections.failed,
    relayRefused: connections.relayRefused,
    pairsHost: connections.opened.host,
    pairsSrflx: connections.opened.srflx,
    pairsPrflx: connections.opened.prflx,
    pairsRelay: connections.opened.relay,
    pairsUnknown: connections.opened.unknown,
    p2pEligible: stats.p2pEligible,
  };
}
