import type { GetPeersMessage } from '@coral-cdn/protocol';
import { rankPeers, RecentLoad, toPeerInfo, type RoomId } from '@coral-cdn/tracker-core';
import type { TrackerDeps } from './context.js';
import { remember, type Membership, type PeerSession } from './peer-session.js';

/** Most recently announced sequences listed per peer in an answer (besides the needed ones). */
const RECENT_IN_ANSWER = 16;
/** How long a peer named in an answer counts as loaded by it. */
const RECENT_LOAD_WINDOW_MS = 10_000;

/**
 * Answers `get-peers`: candidates from the store, ranked by the tracker core's rules, with the
 * load of recent answers spread over the swarm (a peer just named is named less).
 */
export class PeerQuery {
  private readonly load = new RecentLoad(RECENT_LOAD_WINDOW_MS);

  constructor(
    private readonly deps: TrackerDeps,
    private readonly now: () => number,
    private readonly random: () => number,
  ) {}

  async answer(
    session: PeerSession,
    room: RoomId,
    membership: Membership,
    message: GetPeersMessage,
  ): Promise<void> {
    const { config } = this.deps;
    const candidates = await this.deps.store.candidates(room, {
      need: message.need,
      scanLimit: config.MATCH_SCAN_LIMIT,
      holdersPerNeed: 16,
    });
    if (session.closed || !session.memberships.has(room)) return;
    const nowMs = this.now();
    const chosen = rankPeers(candidates, {
      askerId: session.peerId,
      askerRegion: membership.record.region,
      need: message.need,
      max: Math.min(message.max, config.PEERS_PER_ANSWER),
      exclude: membership.reported,
      recentLoad: (peerId) => this.load.get(peerId, nowMs),
      random: this.random,
    });
    const recent = await this.deps.store.recentHoldings(
      room,
      chosen.map((candidate) => candidate.record.peerId),
      RECENT_IN_ANSWER,
    );
    if (session.closed) return;
    const peers = chosen.map((candidate) =>
      toPeerInfo(candidate, recent.get(candidate.record.peerId) ?? []),
    );
    for (const peer of peers) {
      this.load.add(peer.peerId, nowMs);
      remember(membership.known, peer.peerId);
    }
    session.send({ type: 'peers', swarmId: message.swarmId, peers });
  }

  /** Forget load older than its window. */
  sweep(nowMs: number): void {
    this.load.sweep(nowMs);
  }
}
