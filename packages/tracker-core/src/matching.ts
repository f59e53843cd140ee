import type { PeerInfo } from '@coral-cdn/protocol';
import type { Candidate } from './types.js';

export interface MatchRequest {
  readonly askerId: string;
  readonly askerRegion: string;
  readonly need: readonly number[];
  readonly max: number;
  /** Peers the asker must not be offered (it reported them, or they are banned). */
  readonly exclude: ReadonlySet<string>;
  /** How many answers recently named each peer: spare capacity is shared among them. */
  readonly recentLoad: (peerId: string) => number;
  /** Small tie-breaking noise, so equal peers are spread across askers. */
  readonly random: () => number;
}

/** Upload rate at which a peer's spare-capacity score saturates (kbit/s). */
const SPARE_SATURATION_KBPS = 20_000;

/**
 * Rank candidates for a get-peers answer. Order: same region as the asker first; within a
 * region, a score that weighs overlap with `need` (60 %) against spare upload capacity
 * (40 %); cellular peers lose a little (their uplink is metered and jittery).
 */
export function rankPeers(candidates: readonly Candidate[], request: MatchRequest): Candidate[] {
  const scored: Array<{ candidate: Candidate; sameRegion: boolean; score: number }> = [];
  for (const candidate of candidates) {
    const { record } = candidate;
    if (record.peerId === request.askerId || request.exclude.has(record.peerId)) continue;
    const overlap = request.need.length === 0 ? 0 : candidate.held.length / request.need.length;
    scored.push({
      candidate,
      sameRegion: record.region === request.askerRegion,
      score:
        0.6 * overlap +
        0.4 * spareCapacityScore(record.uploadKbps, request.recentLoad(record.peerId)) -
        (record.connectionType === 'cellular' ? 0.1 : 0) +
        request.random() * 0.01,
    });
  }
  scored.sort((a, b) => Number(b.sameRegion) - Number(a.sameRegion) || b.score - a.score);
  return scored.slice(0, request.max).map(({ candidate }) => candidate);
}

/** 0..1: log-scaled upload capacity left after the peers recently sent its way. */
export function spareCapacityScore(uploadKbps: number, recentLoad: number): number {
  const spareKbps = uploadKbps / (1 + recentLoad);
  return Math.min(1, Math.log2(1 + spareKbps) / Math.log2(1 + SPARE_SATURATION_KBPS));
}

/** PeerInfo.have: what it holds of the asker's need, plus its most recent announcements. */
export function toPeerInfo(candidate: Candidate, recent: readonly number[]): PeerInfo {
  const have = [...new Set([...candidate.held, ...recent])].sort((a, b) => a - b);
  const { record } = candidate;
  return {
    peerId: record.peerId,
    region: record.region,
    uploadKbps: record.uploadKbps,
    connectionType: record.connectionType,
    have,
  };
}

/**
 * How often each peer was named in recent answers, decaying with a half-life, so that the
 * spare-capacity score spreads askers over uploaders instead of sending all to the best one.
 */
export class RecentLoad {
  private readonly entries = new Map<string, { load: number; atMs: number }>();

  constructor(private readonly halfLifeMs: number) {}

  get(peerId: string, nowMs: number): number {
    const entry = this.entries.get(peerId);
    return entry ? entry.load * 0.5 ** ((nowMs - entry.atMs) / this.halfLifeMs) : 0;
  }

  add(peerId: string, nowMs: number): void {
    this.entries.set(peerId, { load: this.get(peerId, nowMs) + 1, atMs: nowMs });
  }

  /** Forget entries that decayed to nothing. */
  sweep(nowMs: number): void {
    for (const [peerId, entry] of this.entries) {
      if (nowMs - entry.atMs > this.halfLifeMs * 8) this.entries.delete(peerId);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
