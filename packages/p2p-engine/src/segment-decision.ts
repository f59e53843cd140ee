import type { CdnReason } from './stats.js';

/**
 * The per-segment choice, as a pure function of what the scheduler knows at one instant: the
 * segment, its deadline, the peers that hold it (measured throughput, load), whether its signed
 * hash is known, this viewer's live role and the clock. The scheduler builds the snapshot, acts
 * on the decision and its intents, and asks again whenever something changes. Explained in the
 * package README ("How it decides").
 */

/** Latency allowances added to throughput projections, ms. */
export const PEER_REQUEST_LATENCY_MS = 60;
export const HTTP_REQUEST_LATENCY_MS = 150;
/**
 * A live segment's signed entry comes with its first holder's HAVE; a viewer without it fetches
 * the manifest itself only this long before it would have to go to the CDN (time to fetch and
 * check a manifest of a live window, a few KB).
 */
export const MANIFEST_FETCH_ALLOWANCE_MS = 500;
/** Peer downloads in flight from one peer before another holder is preferred. */
export const MAX_DOWNLOADS_PER_PEER = 2;
/** A peer keeps at most this share of what its rate promises when the CDN takes a tail. */
export const SPLIT_RATE_SHARE = 0.5;
/** A split leaves the peer at least this many bytes; for less the CDN takes the whole rest. */
export const MIN_SPLIT_BYTES = 16 * 1024;

/**
 * A segment's live role: `fetcher` (elected to take it from the CDN for the swarm), `waiter`
 * (a peer will have it), `alone` (no election or no connected peer: a plain CDN player), or
 * `vod`.
 */
export type LiveRole = 'vod' | 'alone' | 'fetcher' | 'waiter';

/** A peer that announced the segment, as measured now. */
export interface HolderSnapshot {
  peerId: string;
  /** Its measured (or assumed) throughput towards us. */
  bytesPerSec: number;
  /** Our downloads from it in flight. */
  activeDownloads: number;
  /** The path's measured round-trip time, ms (null: not measured). */
  rttMs: number | null;
}

export interface DecisionSnapshot {
  nowMs: number;
  /** P2P is on and there is a peer manager. */
  p2pEnabled: boolean;
  /** A peer transfer fell behind or bad bytes came: the rest comes from the CDN. */
  forceHttp: boolean;
  /** A prefetch nobody has asked for yet (it may be dropped). */
  unrequestedPrefetch: boolean;
  /** The viewer plays this segment as LL parts (see `playedAsParts` in prefetch-plan.ts). */
  playedAsParts: boolean;
  /** Before the first frame: no peer is connected, start-up segments come from the CDN. */
  startupHold: boolean;
  /** During the hold: the first frame needs this segment (else it waits for the frame). */
  firstFrameSegment: boolean;
  role: LiveRole;
  /** The earliest deadline seen for this download so far (Infinity: none yet). */
  knownDeadlineMs: number;
  /** The deadline the playback clock gives now. */
  playbackDeadlineMs: number;
  safetyMarginMs: number;
  /** The playhead has moved (first frame shown). */
  playbackStarted: boolean;
  /** The peer manager is still finding peers. */
  discovering: boolean;
  connectedCount: number;
  /** The signed size of the segment; null: its hash is not known yet. */
  signedSizeBytes: number | null;
  /** Bytes of the segment already received. */
  filledBytes: number;
  /** Holders in the peer manager's order (fastest first). */
  holders: readonly HolderSnapshot[];
  /** Peers that already failed this download. */
  failedPeers: ReadonlySet<string>;
  httpBytesPerSec: number;
  /** Size to plan for while a segment's own is unknown. */
  typicalSegmentBytes: number;
  /** The manifest may still sign this rendition's segments. */
  maySign: boolean;
  /** A manifest fetch on this download's behalf is under way. */
  manifestPending: boolean;
}

export type SegmentChoice =
  | { kind: 'peer'; peerId: string }
  /**
   * The head from the peer, bytes [tailFromBytes, end) at once, in parallel, from a second
   * peer (`tailPeerId`) or, when null, from the CDN.
   */
  | { kind: 'split'; peerId: string; tailFromBytes: number; tailPeerId: string | null }
  | { kind: 'http'; reason: CdnReason }
  | { kind: 'wait'; untilMs: number }
  | { kind: 'abandon' };

export type DecisionIntent = { kind: 'fetch-manifest' };

export interface SegmentDecision {
  choice: SegmentChoice;
  intents: readonly DecisionIntent[];
  /** The download's deadline after this decision: it only ever moves earlier. */
  deadlineMs: number;
}

/** A deadline only moves earlier: a paused player does not push out one already promised. */
export function earliestDeadlineMs(knownDeadlineMs: number, playbackDeadlineMs: number): number {
  return Math.min(knownDeadlineMs, playbackDeadlineMs);
}

/** Time to move `bytes` at `bytesPerSec` (at least 1 B/s), ms. */
export function projectMs(bytes: number, bytesPerSec: number): number {
  return (bytes * 1000) / Math.max(bytesPerSec, 1);
}

/**
 * SCTP's initial congestion window (RFC 9260 §7.2.1: min(4 MTU, max(2 MTU, 4380 bytes))),
 * bytes. A data channel idle for longer than its retransmission timeout starts from it again,
 * as a live viewer's channel does between segments.
 */
export const INITIAL_WINDOW_BYTES = 4380;

/**
 * Round trips slow start takes to move `bytes` from that window: it doubles each round trip,
 * so n of them carry INITIAL_WINDOW_BYTES × (2^n − 1).
 */
export function slowStartRounds(bytes: number): number {
  return Math.ceil(Math.log2(Math.max(0, bytes) / INITIAL_WINDOW_BYTES + 1));
}

/**
 * Time from asking this holder to holding `bytes`, ms: the request's latency allowance, then
 * the path's measured round trip (the request goes out before the first byte comes back) and
 * the bytes at the holder's throughput, or slow start's round trips if longer: 116 KB over a
 * 240 ms path take five of them, 1.2 s, whatever the uplink.
 */
export function deliveryMs(holder: HolderSnapshot, bytes: number): number {
  const rttMs = holder.rttMs ?? 0;
  const transferMs = Math.max(
    rttMs + projectMs(bytes, holder.bytesPerSec),
    rttMs * slowStartRounds(bytes),
  );
  return PEER_REQUEST_LATENCY_MS + transferMs;
}

/**
 * The holder to ask for `bytes`: among those not excluded with fewer than
 * `MAX_DOWNLOADS_PER_PEER` of our downloads in flight (else among all not excluded), the one
 * that would deliver soonest, so a near holder wins over an equally fast far one; the earlier
 * in the list on a tie.
 */
export function pickHolder(
  holders: readonly HolderSnapshot[],
  exclude: ReadonlySet<string>,
  bytes: number,
): HolderSnapshot | undefined {
  const usable = holders.filter((h) => !exclude.has(h.peerId));
  const free = usable.filter((h) => h.activeDownloads < MAX_DOWNLOADS_PER_PEER);
  let best: HolderSnapshot | undefined;
  for (const holder of free.length > 0 ? free : usable) {
    if (!best || deliveryMs(holder, bytes) < deliveryMs(best, bytes)) best = holder;
  }
  return best;
}

/** Can this holder deliver `bytes` within `slackMs` (request latency included)? */
export function peerInTime(holder: HolderSnapshot, bytes: number, slackMs: number): boolean {
  return deliveryMs(holder, bytes) < slackMs;
}

/**
 * The head a holder too slow for the whole rest can still deliver within `slackMs`: what half
 * its rate moves in the time left after the request's latency and round trip, if at least
 * MIN_SPLIT_BYTES, short of the rest, and in time by the full delivery model (slow start
 * included). 0: no split.
 */
export function splitHeadBytes(
  holder: HolderSnapshot,
  remainingBytes: number,
  slackMs: number,
): number {
  const linearMs = slackMs - PEER_REQUEST_LATENCY_MS - (holder.rttMs ?? 0);
  const headBytes = Math.floor((holder.bytesPerSec * SPLIT_RATE_SHARE * linearMs) / 1000);
  if (headBytes < MIN_SPLIT_BYTES || headBytes >= remainingBytes) return 0;
  return peerInTime(holder, headBytes, slackMs) ? headBytes : 0;
}

/**
 * Two holders for a rest neither carries alone in time: the head from `first` and the tail
 * from the next best free holder, split in proportion to their rates, each part at least
 * MIN_SPLIT_BYTES and each in time by the full delivery model. On a lossy path one flow may
 * carry less than the bitrate, while two flows from two homes carry it together. Null: no pair.
 */
export function pairSplit(
  first: HolderSnapshot,
  holders: readonly HolderSnapshot[],
  exclude: ReadonlySet<string>,
  remainingBytes: number,
  slackMs: number,
): { headBytes: number; tailPeerId: string } | null {
  const others = holders.filter((h) => h.peerId !== first.peerId);
  const second = freeHolder(others, exclude, remainingBytes);
  if (!second) return null;
  const share = first.bytesPerSec / Math.max(1, first.bytesPerSec + second.bytesPerSec);
  const headBytes = Math.floor(remainingBytes * share);
  const tailBytes = remainingBytes - headBytes;
  if (headBytes < MIN_SPLIT_BYTES || tailBytes < MIN_SPLIT_BYTES) return null;
  if (!peerInTime(first, headBytes, slackMs) || !peerInTime(second, tailBytes, slackMs))
    return null;
  return { headBytes, tailPeerId: second.peerId };
}

/**
 * A second holder for the tail of a running transfer that fell behind: the one that would
 * deliver `bytes` soonest among those not excluded with a free download slot, if in time.
 */
export function tailHolder(
  holders: readonly HolderSnapshot[],
  exclude: ReadonlySet<string>,
  bytes: number,
  slackMs: number,
): HolderSnapshot | undefined {
  const holder = freeHolder(holders, exclude, bytes);
  return holder && peerInTime(holder, bytes, slackMs) ? holder : undefined;
}

/** pickHolder among the holders with a free download slot only (none: undefined). */
function freeHolder(
  holders: readonly HolderSnapshot[],
  exclude: ReadonlySet<string>,
  bytes: number,
): HolderSnapshot | undefined {
  const free = holders.filter((h) => h.activeDownloads < MAX_DOWNLOADS_PER_PEER);
  return pickHolder(free, exclude, bytes);
}

/**
 * Why this viewer takes a segment from the CDN itself when no peer serves it: the elected
 * fetcher, or a viewer alone (no election or no peer). Null: it waits for peers (or drops a
 * prefetch) instead.
 */
export function ownCdnReason(role: LiveRole): CdnReason | null {
  return role === 'fetcher' ? 'elected' : role === 'alone' ? 'alone' : null;
}

/** Where the segment's next bytes come from, or how long to wait, or to drop it. */
export function decideSegment(s: DecisionSnapshot): SegmentDecision {
  const keep = (choice: SegmentChoice): SegmentDecision => ({
    choice,
    intents: [],
    deadlineMs: s.knownDeadlineMs,
  });
  // Started before its first part was loaded: the parts are the one copy, drop the prefetch.
  if (s.unrequestedPrefetch && s.playedAsParts) return keep({ kind: 'abandon' });
  if (!s.p2pEnabled) return keep(http('alone'));
  if (s.forceHttp) return keep(http('fallback'));
  // Elected or alone: the CDN is this viewer's own source when no peer serves the segment.
  const ownCdn = ownCdnReason(s.role);
  // A prefetch nobody asked for yet, when no peer serves it: the elected or lone viewer takes
  // it from the CDN, anyone else drops it.
  const prefetchFallback: SegmentChoice | null = s.unrequestedPrefetch
    ? ownCdn
      ? http(ownCdn)
      : { kind: 'abandon' }
    : null;
  // Before the first frame no peer is connected and no hash is fetched: a lone viewer for what
  // the frame needs. Later segments wait for it: peers may hold them once it shows. Nothing
  // wakes them as the hold ends (a listener weighed more in the page than this), so they look
  // again every 250 ms; the tracker's and peers' events after it wake them too.
  if (s.startupHold)
    return keep(
      prefetchFallback ??
        (s.firstFrameSegment ? http('alone') : { kind: 'wait', untilMs: s.nowMs + 250 }),
    );
  const now = s.nowMs;
  const deadlineMs = earliestDeadlineMs(s.knownDeadlineMs, s.playbackDeadlineMs);
  const decided = (choice: SegmentChoice, intents: readonly DecisionIntent[] = []) => ({
    choice,
    intents,
    deadlineMs,
  });
  // Still finding peers, after the first frame: before it the viewer is waiting on this
  // segment (and, live, its playhead was not even placed, so its deadlines meant nothing).
  const connecting =
    s.discovering && (s.role === 'vod' || s.connectedCount === 0) && s.playbackStarted;
  if (s.signedSizeBytes === null) {
    // Without a signed hash, peer bytes cannot be checked. A live segment's hash is signed as
    // it is published, and every hash is first fetched as the first frame shows: fetch the
    // manifest and wait for it while the deadline allows (a viewer alone only while it is
    // still connecting); otherwise this segment comes from the CDN.
    if (prefetchFallback) return decided(prefetchFallback);
    const httpMs = projectMs(s.typicalSegmentBytes, s.httpBytesPerSec) + HTTP_REQUEST_LATENCY_MS;
    const waitUntilMs = deadlineMs - s.safetyMarginMs - httpMs;
    if (ownCdn && !connecting) return decided(http(ownCdn));
    if (!s.maySign || now >= waitUntilMs) return decided(http('unsigned'));
    // Live, the peer that first holds the segment sends its signed entry (a SIGNED frame, see
    // the engine): the manifest is fetched only when that is late. A VOD hash comes only with
    // its manifest.
    const entryFromPeersUntilMs =
      s.role === 'vod' ? now : waitUntilMs - MANIFEST_FETCH_ALLOWANCE_MS;
    if (now < entryFromPeersUntilMs)
      return decided({ kind: 'wait', untilMs: entryFromPeersUntilMs });
    return decided(
      { kind: 'wait', untilMs: waitUntilMs },
      s.manifestPending ? [] : [{ kind: 'fetch-manifest' }],
    );
  }
  const slackMs = deadlineMs - now - s.safetyMarginMs;
  const remainingBytes = s.signedSizeBytes - s.filledBytes;
  // A peer that holds it is asked first, even by an elected fetcher: the election is for
  // segments nobody has yet (a joiner is elected for old ones too).
  const holder = pickHolder(s.holders, s.failedPeers, remainingBytes);
  if (holder && peerInTime(holder, remainingBytes, slackMs))
    return decided({ kind: 'peer', peerId: holder.peerId });
  const pair = holder ? pairSplit(holder, s.holders, s.failedPeers, remainingBytes, slackMs) : null;
  if (holder && pair) {
    const tailFromBytes = s.filledBytes + pair.headBytes;
    return decided({
      kind: 'split',
      peerId: holder.peerId,
      tailFromBytes,
      tailPeerId: pair.tailPeerId,
    });
  }
  if (prefetchFallback) return decided(prefetchFallback);
  // Live waiters wait for the elected fetcher's copy; a viewer still connecting to peers
  // waits for them to say what they hold (a live joiner's segments are ones its peers
  // already have). Both only while the CDN could still deliver in time, and only after the
  // first frame.
  if ((s.role === 'waiter' || connecting) && s.filledBytes === 0 && s.playbackStarted) {
    const httpMs = projectMs(remainingBytes, s.httpBytesPerSec) + HTTP_REQUEST_LATENCY_MS;
    const waitUntilMs = deadlineMs - s.safetyMarginMs - httpMs;
    if (now < waitUntilMs) return decided({ kind: 'wait', untilMs: waitUntilMs });
  }
  // A holder too slow for the whole rest still carries a head the CDN would otherwise send.
  const headBytes = holder ? splitHeadBytes(holder, remainingBytes, slackMs) : 0;
  if (holder && headBytes > 0) {
    const tailFromBytes = s.filledBytes + headBytes;
    return decided({ kind: 'split', peerId: holder.peerId, tailFromBytes, tailPeerId: null });
  }
  if (ownCdn) return decided(http(ownCdn));
  return decided(http(s.connectedCount === 0 ? 'alone' : 'deadline'));
}

function http(reason: CdnReason): SegmentChoice {
  return { kind: 'http', reason };
}
