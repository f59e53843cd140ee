import type { ElectionState, MemberRecord } from './types.js';

export interface ElectionPolicy {
  /** Size of the candidate list (`fetchers`). */
  readonly candidates: number;
  /** Fetchers per segment (`perSegment`). */
  readonly perSegment: number;
  /** Members younger than this are used only when too few older ones exist. */
  readonly minAgeMs: number;
  /** Members announcing less upload than this are never elected. */
  readonly minUploadKbps: number;
}

export interface ElectionOutcome {
  readonly fetchers: string[];
  readonly perSegment: number;
  /** When an immature member becomes eligible and a new election may change the list. */
  readonly recheckAtMs: number | null;
}

/**
 * Choose the live swarm's fetcher candidates. Sitting fetchers stay while they remain
 * members (stable epochs: a fetcher change moves segments between peers); vacancies go to
 * members that have been in the swarm at least `minAgeMs` (they have had time to connect to
 * others, so what they fetch spreads), best uplink first (ethernet/wifi before cellular,
 * more kbit/s first, then the longest present). Only when fewer than `perSegment` such
 * members exist do younger ones fill in, so a lone or new swarm still has a fetcher.
 */
export function chooseFetchers(
  members: readonly MemberRecord[],
  current: readonly string[],
  policy: ElectionPolicy,
  nowMs: number,
): ElectionOutcome {
  const eligible = members.filter(
    (member) => member.live && member.uploadKbps >= policy.minUploadKbps,
  );
  const byId = new Map(eligible.map((member) => [member.peerId, member]));
  const chosen = current.filter((peerId) => byId.has(peerId)).slice(0, policy.candidates);
  const taken = new Set(chosen);
  const rest = eligible.filter((member) => !taken.has(member.peerId)).sort(byUplink);
  const isMature = (member: MemberRecord) => nowMs - member.joinedAtMs >= policy.minAgeMs;
  for (const member of rest) {
    if (chosen.length >= policy.candidates) break;
    if (isMature(member)) chosen.push(member.peerId);
  }
  for (const member of rest) {
    if (chosen.length >= Math.min(policy.perSegment, policy.candidates)) break;
    if (!isMature(member) && !chosen.includes(member.peerId)) chosen.push(member.peerId);
  }
  let recheckAtMs: number | null = null;
  if (chosen.length < policy.candidates) {
    for (const member of rest) {
      if (isMature(member) || chosen.includes(member.peerId)) continue;
      const matureAt = member.joinedAtMs + policy.minAgeMs;
      recheckAtMs = recheckAtMs === null ? matureAt : Math.min(recheckAtMs, matureAt);
    }
  }
  const fetchers = chosen.sort();
  return {
    fetchers,
    perSegment: Math.max(1, Math.min(policy.perSegment, fetchers.length)),
    recheckAtMs,
  };
}

function byUplink(a: MemberRecord, b: MemberRecord): number {
  const cellular =
    Number(a.connectionType === 'cellular') - Number(b.connectionType === 'cellular');
  return (
    cellular ||
    b.uploadKbps - a.uploadKbps ||
    a.joinedAtMs - b.joinedAtMs ||
    (a.peerId < b.peerId ? -1 : 1)
  );
}

export function sameElection(a: ElectionState | null, outcome: ElectionOutcome): boolean {
  return (
    a !== null &&
    a.perSegment === outcome.perSegment &&
    a.fetchers.length === outcome.fetchers.length &&
    a.fetchers.every((peerId, i) => peerId === outcome.fetchers[i])
  );
}
