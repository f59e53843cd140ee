import { electedFetchers, type ElectionMessage } from '@coral-cdn/protocol';
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
  /** Peers this viewer has an open data connection to. */
  connectedPeerIds: readonly string[];
  /**
   * The role of the segment's LL-HLS parts: only these connected peers can be counted on for
   * them (not the ones seen to play whole segments only: such a viewer never announces a part,
   * even when elected). Null: the role of the whole segment.
   */
  partPlayerIds: readonly string[] | null;
  /** The segment was already listed when this viewer loaded the playlist. */
  listedAtLoad: boolean;
}

export interface FetcherInputs {
  election: Pick<ElectionMessage, 'fetchers' | 'perSegment'>;
  swarmId: string;
  sequence: number;
  localPeerId: string;
  connectedPeerIds: readonly string[];
}

/**
 * The fetcher this viewer counts on for a new live segment: itself, or a peer it has an open
 * data connection to (a fetcher it cannot reach would make it wait for nothing and end on the
 * CDN). An elected viewer fetches; any other counts on the first in the election's ranking of
 * the candidates for the sequence (the elected ones first) that is this viewer or connected to
 * it: viewers that reach one another but none of the elected thus agree on one of them. With no
 * candidate reachable, the same ranking over this viewer and its connected peers.
 */
export function reachableFetcher(f: FetcherInputs): string {
  const reachable = new Set([f.localPeerId, ...f.connectedPeerIds]);
  const rank = (ids: readonly string[]) =>
    electedFetchers({ fetchers: ids, perSegment: ids.length }, f.swarmId, f.sequence);
  const ranking = rank(f.election.fetchers);
  // The elected fetchers are the first `perSegment` of the ranking: each of them fetches.
  if (ranking.slice(0, f.election.perSegment).includes(f.localPeerId)) return f.localPeerId;
  const fetcher = ranking.find((id) => reachable.has(id));
  return fetcher ?? rank([...reachable])[0] ?? f.localPeerId;
}

/**
 * A segment's live role: `fetcher` (elected to take it from the CDN for the swarm), `waiter`
 * (a peer will have it), or `alone` (no election or no connected peer: a plain CDN player).
 */
export function liveRoleOf(r: LiveRoleInputs): LiveRole {
  if (!r.live) return 'vod';
  if (!r.election || !r.localPeerId || !r.hasPeers || r.connectedPeerIds.length === 0)
    return 'alone';
  if (r.election.fetchers.length === 0) return 'fetcher';
  // The election is for segments as they appear. What was already published when this viewer
  // came, its peers hold: it waits for them (within the deadline) like any waiter.
  if (r.listedAtLoad) return 'waiter';
  const fetcher = reachableFetcher({
    election: r.election,
    swarmId: r.swarmId,
    sequence: r.sequence,
    localPeerId: r.localPeerId,
    connectedPeerIds: r.partPlayerIds ?? r.connectedPeerIds,
  });
  return fetcher === r.localPeerId ? 'fetcher' : 'waiter';
}
