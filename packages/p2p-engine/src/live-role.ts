import { isElectedFetcher, type ElectionMessage } from '@coral-cdn/protocol';
import type { LiveRole } from './segment-decision.js';

export interface LiveRoleInputs {
  /** The rendition's playlist is live. */
  live: boolean;
  swarmId: string;
  sequence: number;
  /** The tracker's election for the swarm (null: none known). */
  election: ElectionMessage | null;
  /** This viewer's tracker id (null before it joined). */
  localPeerId: string | null;
  /** There is a peer manager at all (P2P on). */
  hasPeers: boolean;
  connectedCount: number;
  /** The segment was already listed when this viewer loaded the playlist. */
  listedAtLoad: boolean;
}

/**
 * A segment's live role: `fetcher` (elected to take it from the CDN for the swarm), `waiter`
 * (a peer will have it), or `alone` (no election or no connected peer: a plain CDN player).
 */
export function liveRoleOf(r: LiveRoleInputs): LiveRole {
  if (!r.live) return 'vod';
  if (!r.election || !r.localPeerId || !r.hasPeers || r.connectedCount === 0) return 'alone';
  if (r.election.fetchers.length === 0) return 'fetcher';
  // The election is for segments as they appear. What was already published when this viewer
  // came, its peers hold: it waits for them (within the deadline) like any waiter.
  if (r.listedAtLoad) return 'waiter';
  return isElectedFetcher(r.election, r.swarmId, r.sequence, r.localPeerId) ? 'fetcher' : 'waiter';
}
