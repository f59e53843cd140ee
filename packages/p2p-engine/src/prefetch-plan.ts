import { pickHolder, peerInTime, type HolderSnapshot, type LiveRole } from './segment-decision.js';

/**
 * Prefetch planning, pure: which segments ahead of the playhead to start before the player asks.
 * The scheduler walks the candidates in playback order and asks about each with the state of
 * that moment (a started prefetch changes the next candidate's holders' load).
 */

/** How far ahead to look: a live playlist's whole window, a VOD's `prefetchAheadSec`. */
export function prefetchHorizonSec(live: boolean, positionSec: number, aheadSec: number): number {
  return live ? Infinity : positionSec + aheadSec;
}

/**
 * Does this viewer play the segment as LL parts? Yes at or after the oldest segment of which
 * it holds parts (hls.js in low-latency mode loads the parts of every segment from its first
 * part on): those parts are the segment's one copy, and the whole segment is made from them
 * (`part-segments.ts`), never downloaded again. `heldPartSequences` are of every rendition:
 * after an ABR switch hls.js plays the new rendition as parts too, and until its first part
 * there is in, a segment listed meanwhile would otherwise be fetched whole (renditions of one
 * channel share sequence numbers; see `PartLoader.sequencesHeld`).
 */
export function playedAsParts(heldPartSequences: readonly number[], sequence: number): boolean {
  return heldPartSequences.some((held) => held <= sequence);
}

export interface PrefetchCandidate {
  role: LiveRole;
  /** The viewer plays this segment as LL parts (`playedAsParts`). */
  playedAsParts: boolean;
  /** Peer prefetches nobody asked for yet, running now. */
  runningPeerPrefetches: number;
  prefetchConcurrency: number;
  /** Signed size (null: hash not known, so peer bytes could not be checked). */
  signedSizeBytes: number | null;
  holders: readonly HolderSnapshot[];
  nowMs: number;
  deadlineMs: number;
  safetyMarginMs: number;
}

/**
 * `cdn`: an elected fetcher takes a new live segment from the CDN now, so peers can take it
 * from it; `peer`: a holder can deliver it well within its deadline; `skip`: not now (always
 * for a segment played as parts: its media is already coming, part by part).
 */
export type PrefetchVerdict = 'cdn' | 'peer' | 'skip';

export function prefetchVerdict(c: PrefetchCandidate): PrefetchVerdict {
  if (c.playedAsParts) return 'skip';
  if (c.role === 'fetcher') return 'cdn';
  if (c.runningPeerPrefetches >= c.prefetchConcurrency) return 'skip';
  if (c.signedSizeBytes === null) return 'skip';
  const holder = pickHolder(c.holders, new Set(), c.signedSizeBytes);
  if (!holder) return 'skip';
  const slackMs = c.deadlineMs - c.nowMs - c.safetyMarginMs;
  return peerInTime(holder, c.signedSizeBytes, slackMs) ? 'peer' : 'skip';
}
