/**
 * The connectivity policy's decisions, as pure functions: which ICE candidates a viewer may
 * use for peer traffic, and what kind of path (candidate pair) a peer connection ended up on.
 *
 * Direct paths come first: ICE itself prefers host, then peer- and server-reflexive pairs over
 * relayed ones. A relayed pair (TURN) moves the CDN's bytes onto the operator's own relay
 * bandwidth, so it is used only when the operator allows it (`relayAllowed`); otherwise relay
 * candidates are neither sent nor accepted, and a viewer that could only relay stays CDN-only.
 */

export const PAIR_TYPES = ['host', 'srflx', 'prflx', 'relay'] as const;
/** An ICE candidate type; a pair's type is the less direct of its two candidates. */
export type PairType = (typeof PAIR_TYPES)[number];

/** Connections that opened, by the selected pair's type (`unknown`: no stats to read it from). */
export type PairCounts = Record<PairType | 'unknown', number>;

export function emptyPairCounts(): PairCounts {
  return { host: 0, srflx: 0, prflx: 0, relay: 0, unknown: 0 };
}

/** Order from most to least direct: the pair's type is the higher rank of its two ends. */
const DIRECTNESS: Record<PairType, number> = { host: 0, prflx: 1, srflx: 2, relay: 3 };

function asPairType(value: unknown): PairType | null {
  return typeof value === 'string' && (PAIR_TYPES as readonly string[]).includes(value)
    ? (value as PairType)
    : null;
}

/** The `typ` of an ICE candidate line (`candidate:… typ srflx …`), null when absent or unknown. */
export function candidateTypeOf(candidate: string): PairType | null {
  const match = /\btyp\s+(\S+)/.exec(candidate);
  return match ? asPairType(match[1]) : null;
}

/** May this candidate be sent to, or accepted from, a peer under the policy? */
export function candidateAllowed(candidate: string, relayAllowed: boolean): boolean {
  return relayAllowed || candidateTypeOf(candidate) !== 'relay';
}

/**
 * An SDP without its relay candidate lines (stacks may put the candidates gathered so far in
 * the description itself, besides trickling them).
 */
export function withoutRelayCandidates(sdp: string): string {
  if (!sdp.includes('typ relay')) return sdp;
  return sdp
    .split(/\r?\n/)
    .filter((line) => !(line.startsWith('a=candidate:') && candidateTypeOf(line) === 'relay'))
    .join('\r\n');
}

/** The less direct of a pair's two candidate types. */
export function pairTypeOf(local: PairType, remote: PairType): PairType {
  return DIRECTNESS[local] >= DIRECTNESS[remote] ? local : remote;
}

type StatsEntry = Record<string, unknown>;

function statsEntries(report: unknown): StatsEntry[] {
  if (!report || typeof report !== 'object') return [];
  const values = (report as { values?: unknown }).values;
  const iterable =
    typeof values === 'function'
      ? (values.call(report) as Iterable<unknown>)
      : Array.isArray(report)
        ? (report as unknown[])
        : [];
  const out: StatsEntry[] = [];
  for (const entry of iterable)
    if (entry && typeof entry === 'object') out.push(entry as StatsEntry);
  return out;
}

/**
 * The selected candidate pair of a WebRTC stats report (`getStats()`: a browser's
 * RTCStatsReport, or werift's, which has the same entries): the transport's
 * `selectedCandidatePairId`, else a pair flagged `selected` (Firefox), else a nominated pair
 * that succeeded. Undefined when the report does not say.
 */
function selectedPair(
  entries: StatsEntry[],
  byId: Map<string, StatsEntry>,
): StatsEntry | undefined {
  let pair: StatsEntry | undefined;
  for (const entry of entries) {
    if (entry.type === 'transport' && typeof entry.selectedCandidatePairId === 'string') {
      pair = byId.get(entry.selectedCandidatePairId);
      if (pair) break;
    }
  }
  pair ??= entries.find((entry) => entry.type === 'candidate-pair' && entry.selected === true);
  pair ??= entries.find(
    (entry) =>
      entry.type === 'candidate-pair' && entry.nominated === true && entry.state === 'succeeded',
  );
  return pair;
}

function indexed(report: unknown): { entries: StatsEntry[]; byId: Map<string, StatsEntry> } {
  const entries = statsEntries(report);
  const byId = new Map<string, StatsEntry>();
  for (const entry of entries) if (typeof entry.id === 'string') byId.set(entry.id, entry);
  return { entries, byId };
}

/** A connection's selected candidate pair: its type and current round trip, ms (null: unknown). */
export interface SelectedPath {
  type: PairType | null;
  rttMs: number | null;
}

/**
 * The selected pair of a WebRTC stats report, found once for both readings: its type (null when
 * a candidate's type is not given) and its current round-trip time in ms (`currentRoundTripTime`,
 * seconds in the report: the ICE consent checks on the data channel's own path; null when not
 * measured). Both null when the report names no selected pair.
 */
export function selectedPath(report: unknown): SelectedPath {
  const { entries, byId } = indexed(report);
  const pair = selectedPair(entries, byId);
  if (!pair) return { type: null, rttMs: null };
  const localType = asPairType(byId.get(String(pair.localCandidateId))?.candidateType);
  const remoteType = asPairType(byId.get(String(pair.remoteCandidateId))?.candidateType);
  const seconds = pair.currentRoundTripTime;
  return {
    type: localType && remoteType ? pairTypeOf(localType, remoteType) : null,
    rttMs:
      typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0
        ? seconds * 1000
        : null,
  };
}
