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
  /**
   * Members announcing less than this are elected only when fewer than `perSegment` others
   * announce as much: a fetcher serves a live segment to its followers within the segment's
   * slack, which a home uplink of about the stream's bitrate cannot. Unset or 0: no preference.
   */
  readonly preferredUploadKbps?: number;
  /**
   * Verified upload: a member fills a vacancy beyond `perSegment` only once it has answered
   * connection offers from at least this many other address groups (`servedGroups`).
   * Unset or 0: claimed upload is taken at its word (the simulator's setting).
   */
  readonly minServedGroups?: number;
  /**
   * Members announcing less than this share (0..1) of the best upload announced by a
   * verified member (any member while none is verified), counted up to `bestUploadCapKbps`,
   * are elected only when fewer than `perSegment` others announce as much. Each segment's
   * first fetch then goes to an uplink that carries it to the followers soonest: a 3 Mbit/s
   * home beside a 10 Mbit/s one is left out, two homes of 10 and 20 Mbit/s both stay.
   * Unset or 0: no such narrowing.
   */
  readonly uploadShareOfBest?: number;
  /** The best upload counts up to this, kbit/s, so one large claim cannot leave every home out. */
  readonly bestUploadCapKbps?: number;
}

/** The tracker's defaults (its `LIVE_FETCHER_*` settings), which the simulator runs too. */
export const DEFAULT_ELECTION_POLICY = {
  candidates: 8,
  perSegment: 1,
  minAgeMs: 3_000,
  minUploadKbps: 1,
  preferredUploadKbps: 2_000,
  minServedGroups: 1,
  uploadShareOfBest: 0.34,
  bestUploadCapKbps: 20_000,
} as const satisfies Required<ElectionPolicy>;

export interface ElectionOutcome {
  readonly fetchers: string[];
  readonly perSegment: number;
  /** When an immature member becomes eligible and a new election may change the list. */
  readonly recheckAtMs: number | null;
}

/** The address group a member counts in; a record without one is a group of its own. */
export function groupOf(member: MemberRecord): string {
  return member.addressGroup ?? `peer:${member.peerId}`;
}

/**
 * Seats one address group may hold: the candidate list divided evenly among the groups the
 * eligible members come from (rounded up). A swarm from one network has one group and no
 * limit beyond the list; one client renting many connections or tokens from one block gets
 * no more than its share once others are present.
 */
export function seatsPerGroup(eligible: readonly MemberRecord[], candidates: number): number {
  const groups = new Set(eligible.map(groupOf)).size;
  return groups === 0 ? 0 : Math.ceil(candidates / groups);
}

/**
 * Other address groups a member must have served to count as verified: the policy's
 * number, but never more than the other groups present. A swarm behind one network (an
 * office, a lab) cannot verify anyone that way, and needs no protection from itself.
 */
export function servedGroupsRequired(
  eligible: readonly MemberRecord[],
  policy: ElectionPolicy,
): number {
  const others = new Set(eligible.map(groupOf)).size - 1;
  return Math.max(0, Math.min(policy.minServedGroups ?? 0, others));
}

/** Whether `member` has shown upload the tracker saw: offers answered for other networks. */
export function isVerified(member: MemberRecord, required: number): boolean {
  return (member.servedGroups ?? 0) >= required;
}

/**
 * Seat bookkeeping of one election: one seat per viewer (token subject) and connection (peer
 * id), and at most `perGroup` seats per address group.
 */
class Seats {
  readonly chosen: string[] = [];
  private readonly viewers = new Set<string>();
  private readonly groups = new Map<string, number>();

  constructor(private readonly perGroup: number) {}

  get size(): number {
    return this.chosen.length;
  }

  /** Seat `member` unless a rule forbids it. */
  take(member: MemberRecord): void {
    const group = groupOf(member);
    const inGroup = this.groups.get(group) ?? 0;
    if (this.viewers.has(member.viewerId) || this.chosen.includes(member.peerId)) return;
    if (inGroup >= this.perGroup) return;
    this.chosen.push(member.peerId);
    this.viewers.add(member.viewerId);
    this.groups.set(group, inGroup + 1);
  }
}

/**
 * The members that can serve followers: first those not known to be unreachable by peers,
 * then of those the ones that announce the preferred upload, then the ones within
 * `uploadShareOfBest` of the best; each narrowing only when at least `perSegment` members
 * remain (a swarm of slow or unreachable viewers still needs its fetchers).
 */
export function ableToServe(
  members: readonly MemberRecord[],
  policy: ElectionPolicy,
): readonly MemberRecord[] {
  const narrow = (from: readonly MemberRecord[], keep: (member: MemberRecord) => boolean) => {
    const kept = from.filter(keep);
    return kept.length >= policy.perSegment ? kept : from;
  };
  const preferred = policy.preferredUploadKbps ?? 0;
  const reachable = narrow(members, (member) => member.unreachable !== true);
  const able = narrow(reachable, (member) => member.uploadKbps >= preferred);
  // Unset or 0: a bar of 0 kbit/s, which every member clears.
  const minUploadKbps = (policy.uploadShareOfBest ?? 0) * bestUploadKbps(able, policy);
  return narrow(able, (member) => member.uploadKbps >= minUploadKbps);
}

/**
 * The best upload announced among `members`, counted up to `bestUploadCapKbps`: of those
 * whose upload is verified, or of all while none is (a claim alone cannot set the bar once
 * others have shown what they serve).
 */
export function bestUploadKbps(members: readonly MemberRecord[], policy: ElectionPolicy): number {
  const required = servedGroupsRequired(members, policy);
  const verified = members.filter((member) => isVerified(member, required));
  // A loop, not Math.max(...): a swarm may hold more members than a call takes arguments.
  let best = 0;
  for (const member of verified.length > 0 ? verified : members)
    best = Math.max(best, member.uploadKbps);
  return Math.min(best, policy.bestUploadCapKbps ?? Infinity);
}

/**
 * Choose the live swarm's fetcher candidates. Sitting fetchers with verified upload stay
 * while they remain members and within the seat rules (stable epochs: a fetcher change moves
 * segments between peers). Vacancies go to members that have been in the swarm at least `minAgeMs` (they have
 * had time to connect to others, so what they fetch spreads) and whose upload is verified,
 * best uplink first (ethernet/wifi before cellular, more kbit/s first, then the longest
 * present). Only when fewer than `perSegment` such members exist do others fill in (sitting
 * ones, then mature before young), so a lone or new swarm still has a fetcher. Throughout, no viewer holds
 * two seats and no address group more than its share (seatsPerGroup), so one client cannot
 * capture the election with many tokens, connections or addresses of one block.
 */
export function chooseFetchers(
  members: readonly MemberRecord[],
  current: readonly string[],
  policy: ElectionPolicy,
  nowMs: number,
): ElectionOutcome {
  const eligible = ableToServe(
    members.filter((member) => member.live && member.uploadKbps >= policy.minUploadKbps),
    policy,
  );
  const seats = new Seats(seatsPerGroup(eligible, policy.candidates));
  const byId = new Map(eligible.map((member) => [member.peerId, member]));
  const sitting = current.flatMap((peerId) => byId.get(peerId) ?? []);
  const required = servedGroupsRequired(eligible, policy);
  const verified = (member: MemberRecord) => isVerified(member, required);
  for (const member of sitting.filter(verified)) {
    if (seats.size >= policy.candidates) break;
    seats.take(member);
  }
  const rest = eligible.filter((member) => !current.includes(member.peerId)).sort(byUplink);
  const isMature = (member: MemberRecord) => nowMs - member.joinedAtMs >= policy.minAgeMs;
  for (const member of rest) {
    if (seats.size >= policy.candidates) break;
    if (isMature(member) && verified(member)) seats.take(member);
  }
  // Too few verified members: fill up to perSegment, unverified sitting fetchers first.
  const fillTo = Math.min(policy.perSegment, policy.candidates);
  const fill = [...sitting, ...rest.filter(isMature), ...rest.filter((m) => !isMature(m))];
  for (const member of fill) {
    if (seats.size >= fillTo) break;
    seats.take(member);
  }
  let recheckAtMs: number | null = null;
  if (seats.size < policy.candidates) {
    for (const member of rest) {
      if (isMature(member) || seats.chosen.includes(member.peerId)) continue;
      const matureAt = member.joinedAtMs + policy.minAgeMs;
      recheckAtMs = recheckAtMs === null ? matureAt : Math.min(recheckAtMs, matureAt);
    }
  }
  const fetchers = seats.chosen.sort();
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
