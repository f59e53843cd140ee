import type { ReportReason } from '@coral-cdn/protocol';

/** What the tracker knows when a peer reports another. */
export interface ReportFacts {
  readonly reporterPeerId: string;
  /** The reporter's viewer (token subject); null before it joined with a token. */
  readonly reporterViewerId: string | null;
  readonly targetPeerId: string;
  /** The reported peer's viewer; null when it is not (or no longer) a member of the room. */
  readonly targetViewerId: string | null;
  readonly reason: ReportReason;
  /** The tracker relayed signalling between the two (they may have exchanged data). */
  readonly relayed: boolean;
  /** When the reporter joined the room. */
  readonly reporterJoinedAtMs: number;
  readonly nowMs: number;
}

export interface ReportPolicy {
  /** A reporter younger in the room than this does not count. */
  readonly minReporterTenureMs: number;
  /** Count only reports about a peer the reporter was introduced to through the tracker. */
  readonly requireRelayed: boolean;
}

export type ReportVerdict =
  | { readonly exclude: false; readonly count: false; readonly why: 'self' }
  | {
      readonly exclude: true;
      readonly count: false;
      readonly why:
        'not-integrity' | 'target-gone' | 'no-viewer' | 'same-viewer' | 'not-relayed' | 'too-new';
    }
  | { readonly exclude: true; readonly count: true; readonly why: 'counted' };

/**
 * Judge one report. Whatever the reason, a reporter is not offered the reported peer again
 * (`exclude`); only an integrity report from another viewer, about a peer still in the room,
 * counts towards a ban, and then only when the reporter could have received data from it and
 * has been in the room long enough not to be a throw-away identity.
 */
export function judgeReport(facts: ReportFacts, policy: ReportPolicy): ReportVerdict {
  if (facts.targetPeerId === facts.reporterPeerId) {
    return { exclude: false, count: false, why: 'self' };
  }
  if (facts.reason !== 'integrity') return { exclude: true, count: false, why: 'not-integrity' };
  if (facts.targetViewerId === null) return { exclude: true, count: false, why: 'target-gone' };
  if (facts.reporterViewerId === null) return { exclude: true, count: false, why: 'no-viewer' };
  if (facts.targetViewerId === facts.reporterViewerId) {
    return { exclude: true, count: false, why: 'same-viewer' };
  }
  if (policy.requireRelayed && !facts.relayed) {
    return { exclude: true, count: false, why: 'not-relayed' };
  }
  if (facts.nowMs - facts.reporterJoinedAtMs < policy.minReporterTenureMs) {
    return { exclude: true, count: false, why: 'too-new' };
  }
  return { exclude: true, count: true, why: 'counted' };
}

export interface BanPolicy {
  /** Distinct reporters that ban in a small room. */
  readonly minReporters: number;
  /** Share of the room (0..1) that must report in a large one; 0 keeps the threshold fixed. */
  readonly roomShare: number;
}

/** Distinct reporters needed to ban a peer from a room of `roomSize` members. */
export function banThreshold(policy: BanPolicy, roomSize: number): number {
  return Math.max(policy.minReporters, Math.ceil(policy.roomShare * roomSize));
}
