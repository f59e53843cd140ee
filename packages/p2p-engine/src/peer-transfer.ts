import type { EngineConfig } from './config.js';
import type { Download } from './download.js';
import { AbortedError, EngineError } from './errors.js';
import type { IntegrityRegistry } from './integrity.js';
import { fetchRangeInto } from './http-transfer.js';
import { fetchTailFromPeer } from './tail-transfer.js';
import type { Cancelable, EnginePlatform, TimerId } from './platform.js';
import type { PeerManager } from './peer-manager.js';
import type { PeerSession } from './peer-session.js';
import {
  HTTP_REQUEST_LATENCY_MS,
  MIN_SPLIT_BYTES,
  PEER_REQUEST_LATENCY_MS,
  SPLIT_RATE_SHARE,
  projectMs,
  slowStartRounds,
} from './segment-decision.js';
import type { StatsCounters } from './stats.js';

/** How often a running peer transfer is checked against its deadline. */
export const WATCHDOG_INTERVAL_MS = 100;
/** Before judging a transfer by its own rate, let it move this much. */
export const MIN_BYTES_FOR_RATE = 32 * 1024;

export type LogFn = (
  level: 'debug' | 'info' | 'warn' | 'error',
  message: string,
  fields?: Record<string, unknown>,
) => void;

/** What a transfer needs from the scheduler around it. */
export interface TransferContext {
  platform: EnginePlatform;
  config: EngineConfig;
  integrity: IntegrityRegistry | null;
  peers: PeerManager | null;
  stats: StatsCounters;
  /** The download's deadline now (it only moves earlier). */
  deadlineOf: (download: Download, nowMs: number) => number;
  /** Throw away the bytes gathered so far, counting peer bytes as discarded. */
  discardBytes: (download: Download) => void;
  /** The CDN's measured (or assumed) throughput towards this viewer, bytes/s. */
  httpBytesPerSec: () => number;
  /** A connected holder, not `fromPeerId`, that can deliver `bytes` in time (null: none). */
  tailPeer: (
    download: Download,
    fromPeerId: string,
    bytes: number,
    nowMs: number,
  ) => PeerSession | null;
  log: LogFn;
}

/** One look at a running peer transfer. */
export interface WatchdogSnapshot {
  nowMs: number;
  startedAtMs: number;
  /** First byte of this transfer (null: none yet). */
  firstByteAtMs: number | null;
  /** Bytes this transfer moved so far. */
  movedBytes: number;
  remainingBytes: number;
  /** The peer's throughput estimate. */
  estimateBytesPerSec: number;
  /** The path's measured round-trip time, ms (null: not measured). */
  pathRttMs: number | null;
  maxMessageBytes: number;
  deadlineMs: number;
  /** The margin a peer transfer is started with: the most a running one keeps, ms. */
  safetyMarginMs: number;
  /** The CDN's throughput estimate, bytes/s: what a fallback for the rest would take. */
  httpBytesPerSec: number;
  /** Added to the projected CDN fetch of the rest, ms. */
  cdnFallbackGuardMs: number;
  /** A player waits for the segment (not a prefetch nobody asked for). */
  urgent: boolean;
}

/** When the transfer should end at the rate it shows, ms since the epoch of `nowMs`. */
export function projectedEndMs(s: WatchdogSnapshot): number {
  if (s.firstByteAtMs === null) return silentEndMs(s);
  // Until enough has moved to measure this transfer, use the peer's estimate.
  const rate =
    s.movedBytes >= MIN_BYTES_FOR_RATE
      ? (s.movedBytes * 1000) / Math.max(1, s.nowMs - s.firstByteAtMs)
      : s.estimateBytesPerSec;
  return s.nowMs + (s.remainingBytes * 1000) / Math.max(rate, 1);
}

/**
 * The earliest end of a transfer that has not moved a byte yet. Its rate is at most the peer's
 * estimate, and at most one message per elapsed time (a chunk shows only once its whole message
 * arrived). At the estimate, the request latency (with the path's round trip) not yet spent
 * comes first; at the bound set by the silence, a message may be landing right now, so only the
 * rest after it is still to come. On a measured path, slow start's round trips come first: its
 * rate doubles each round trip, so a silence within them says nothing of the rate to come.
 */
function silentEndMs(s: WatchdogSnapshot): number {
  const elapsedMs = Math.max(1, s.nowMs - s.startedAtMs);
  if (s.pathRttMs !== null) {
    const slowStartEndMs =
      s.startedAtMs + PEER_REQUEST_LATENCY_MS + s.pathRttMs * slowStartRounds(s.remainingBytes);
    if (s.nowMs < slowStartEndMs) {
      const latencyMs = Math.max(0, PEER_REQUEST_LATENCY_MS + s.pathRttMs - elapsedMs);
      const atEstimateMs = s.nowMs + latencyMs + projectMs(s.remainingBytes, s.estimateBytesPerSec);
      return Math.max(slowStartEndMs, atEstimateMs);
    }
  }
  const silenceBytesPerSec = (s.maxMessageBytes * 1000) / elapsedMs;
  if (s.estimateBytesPerSec <= silenceBytesPerSec) {
    const latency = Math.max(0, PEER_REQUEST_LATENCY_MS + (s.pathRttMs ?? 0) - elapsedMs);
    return s.nowMs + latency + (s.remainingBytes * 1000) / Math.max(s.estimateBytesPerSec, 1);
  }
  const afterMessageBytes = Math.max(0, s.remainingBytes - s.maxMessageBytes);
  return s.nowMs + (afterMessageBytes * 1000) / silenceBytesPerSec;
}

/**
 * How long before the deadline a running transfer is given up, ms: the last moment the CDN
 * could still deliver the rest (request latency + the rest at the CDN's measured rate + a
 * guard), but never earlier than the safety margin the transfer was started with.
 */
export function runningMarginMs(s: WatchdogSnapshot): number {
  const cdnRestMs =
    HTTP_REQUEST_LATENCY_MS + projectMs(s.remainingBytes, s.httpBytesPerSec) + s.cdnFallbackGuardMs;
  return Math.min(s.safetyMarginMs, cdnRestMs);
}

export interface SplitSnapshot extends WatchdogSnapshot {
  filledBytes: number;
  sizeBytes: number;
}

/**
 * Where the CDN takes over from a peer transfer that falls behind: the peer keeps what half its
 * rate delivers before the fallback margin, and the CDN fetches the tail from there at once, in
 * parallel. On a lossy path a peer's single flow may carry less than the bitrate; a split keeps
 * what it does carry instead of sending the whole rest to the CDN. The rate is the transfer's
 * own once measured, else the estimate capped by what the silence allows. Null: no split.
 */
export function splitOffsetBytes(s: SplitSnapshot): number | null {
  const elapsedMs = Math.max(1, s.nowMs - s.startedAtMs);
  const rate =
    s.firstByteAtMs !== null && s.movedBytes >= MIN_BYTES_FOR_RATE
      ? (s.movedBytes * 1000) / Math.max(1, s.nowMs - s.firstByteAtMs)
      : Math.min(s.estimateBytesPerSec, (s.maxMessageBytes * 1000) / elapsedMs);
  const headMs = s.deadlineMs - runningMarginMs(s) - s.nowMs;
  const headBytes = Math.floor((rate * SPLIT_RATE_SHARE * headMs) / 1000);
  if (headBytes < MIN_SPLIT_BYTES) return null;
  const fromBytes = s.filledBytes + headBytes;
  return fromBytes < s.sizeBytes ? fromBytes : null;
}

/** How far a running transfer got: what the watchdog's snapshot needs of it. */
export interface TransferProgress {
  startedAtMs: number;
  firstByteAtMs: number | null;
  movedBytes: number;
}

/** The watchdog's look at a transfer from `session` with `remainingBytes` still to come. */
export function watchdogSnapshot(
  ctx: TransferContext,
  download: Download,
  session: PeerSession,
  nowMs: number,
  progress: TransferProgress,
  remainingBytes: number,
): WatchdogSnapshot {
  return {
    nowMs,
    ...progress,
    remainingBytes,
    estimateBytesPerSec: session.throughput.bytesPerSec,
    pathRttMs: session.pathRttMs,
    maxMessageBytes: ctx.config.maxMessageBytes,
    deadlineMs: ctx.deadlineOf(download, nowMs),
    safetyMarginMs: ctx.config.safetyMarginMs,
    httpBytesPerSec: ctx.httpBytesPerSec(),
    cdnFallbackGuardMs: ctx.config.cdnFallbackGuardMs,
    urgent: download.playerRequested || download.reason === 'player',
  };
}

/** Cancel the transfer (and take the rest from the CDN)? */
export function transferFallsBehind(s: WatchdogSnapshot): boolean {
  return s.urgent && projectedEndMs(s) > s.deadlineMs - runningMarginMs(s);
}

/**
 * Fetch from a peer into the download's sink, watched against the deadline. A transfer that
 * falls behind hands the CDN a tail (splitOffsetBytes) and goes on with the head; when no split
 * is worth it, or the head falls behind too, it is cancelled and the rest comes from the CDN (a
 * Range request from the bytes received). True when all bytes arrived.
 */
export async function fetchFromPeer(
  ctx: TransferContext,
  download: Download,
  session: PeerSession,
  /**
   * Split from the start (segment-decision.ts): bytes [fromBytes, end) come at once from
   * `peer`, or from the CDN when null, and the head's request ends at fromBytes.
   */
  initialTail: { fromBytes: number; peer: PeerSession | null } | null = null,
): Promise<boolean> {
  const { platform } = ctx;
  const info = download.info;
  const entry = ctx.integrity!.known(info.rendition, info.sequence)!;
  const sizeBytes = entry.sizeBytes;
  if (!download.sink || download.sink.byteLength !== sizeBytes) {
    ctx.discardBytes(download);
    download.sink = new Uint8Array(sizeBytes);
  }
  const startOffset = download.filledBytes;
  const startedAtMs = platform.clock.now();
  const logFields = (nowMs: number) => ({
    segment: download.key,
    peerId: session.remotePeerId,
    deadlineInMs: Math.round(ctx.deadlineOf(download, nowMs) - nowMs),
    estimateBytesPerSec: Math.round(session.throughput.bytesPerSec),
    pathRttMs: session.pathRttMs,
  });
  ctx.log('debug', 'peer transfer started', {
    ...logFields(startedAtMs),
    offsetBytes: startOffset,
  });
  let transferFirstByteAtMs: number | null = null;
  let fellBehind = false;
  // The CDN's share once split: bytes [tailFromBytes, size) (and the head's rest, if the peer
  // falls behind on the head too).
  let tailFromBytes: number | null = null;
  const cdnShares: Array<Cancelable<number>> = [];
  let headReached = false;
  const splitFromStart = initialTail !== null && initialTail.fromBytes < sizeBytes;
  const transfer = session.download(info.rendition, info.sequence, {
    sink: download.sink,
    offsetBytes: startOffset,
    // The head's peer sends only the head: its uplink carries nothing thrown away.
    ...(splitFromStart ? { endBytes: initialTail.fromBytes } : {}),
    onProgress: (filled) => {
      const now = platform.clock.now();
      transferFirstByteAtMs ??= now;
      download.firstByteAtMs ??= now;
      // Past a split, the bytes are the CDN's to deliver: the peer's count up to it.
      const counted = Math.min(filled, tailFromBytes ?? sizeBytes);
      if (counted <= download.filledBytes) return;
      download.notePeerBytes(session.remotePeerId, download.filledBytes, counted);
      download.filledBytes = counted;
      download.progress(counted, sizeBytes);
      if (tailFromBytes !== null && counted >= tailFromBytes) {
        headReached = true;
        // A head asked with its end closes with DONE (and teaches the estimator); one split
        // while running is cut here.
        if (!splitFromStart) transfer.cancel();
      }
    },
  });
  const cancelCdnShares = () => cdnShares.forEach((share) => share.cancel());
  const askTail = (fromBytes: number, toBytes: number, peer: PeerSession | null) => {
    const share = peer
      ? fetchTailFromPeer(ctx, download, peer, fromBytes, toBytes)
      : fetchRangeInto(ctx, download, fromBytes, toBytes);
    // Awaited only once the peer's part is over: a share canceled before that is no error.
    share.promise.catch(() => undefined);
    cdnShares.push(share);
  };
  download.cancelCurrent = () => {
    transfer.cancel();
    cancelCdnShares();
  };
  if (splitFromStart) {
    tailFromBytes = initialTail.fromBytes;
    askTail(initialTail.fromBytes, sizeBytes, initialTail.peer);
  }
  // A deadline moved earlier (the player asked for a prefetch) is handled by the watchdog too.
  download.wakeCurrent = () => watchdog();
  const countFallback = (message: string, fields: Record<string, unknown> = {}) => {
    ctx.stats.fallbacks++;
    const nowMs = platform.clock.now();
    ctx.log('debug', message, {
      ...logFields(nowMs),
      ...fields,
      filledBytes: download.filledBytes,
      sizeBytes,
      elapsedMs: Math.round(nowMs - startedAtMs),
    });
  };
  let timer: TimerId | null = null;
  const watchdog = () => {
    if (timer !== null) platform.clock.clearTimeout(timer);
    timer = null;
    if (download.canceled || headReached || fellBehind) return;
    const now = platform.clock.now();
    const progress = {
      startedAtMs,
      firstByteAtMs: transferFirstByteAtMs,
      movedBytes: download.filledBytes - startOffset,
    };
    const remainingBytes = (tailFromBytes ?? sizeBytes) - download.filledBytes;
    const snapshot: SplitSnapshot = {
      ...watchdogSnapshot(ctx, download, session, now, progress, remainingBytes),
      filledBytes: download.filledBytes,
      sizeBytes,
    };
    if (transferFallsBehind(snapshot)) {
      const fromBytes = tailFromBytes === null ? splitOffsetBytes(snapshot) : null;
      if (fromBytes === null) {
        fellBehind = true;
        transfer.cancel();
        return;
      }
      tailFromBytes = fromBytes;
      // A second holder in time takes the tail; else the CDN does.
      const tailPeer = ctx.tailPeer(download, session.remotePeerId, sizeBytes - fromBytes, now);
      askTail(fromBytes, sizeBytes, tailPeer);
      if (!tailPeer) download.noteCdnReason('fallback', ctx.stats.cdnReasons);
      countFallback('peer transfer behind its deadline: a tail goes elsewhere', {
        fromBytes,
        tailPeerId: tailPeer?.remotePeerId ?? null,
      });
    }
    timer = platform.clock.setTimeout(watchdog, WATCHDOG_INTERVAL_MS);
  };
  watchdog();
  try {
    try {
      await transfer.promise;
    } catch (error) {
      if (download.canceled) throw new AbortedError();
      if (!headReached) {
        const kept = fellBehind || notePeerFailure(ctx, download, session, error);
        if (tailFromBytes === null || !kept) {
          cancelCdnShares();
          if (fellBehind) {
            download.forceHttp = true;
            countFallback('peer transfer behind its deadline: resuming over HTTP');
          } else if (kept && isPeerTimeout(error) && download.filledBytes > 0) {
            ctx.stats.fallbacks++;
            download.forceHttp = true;
          }
          return false;
        }
        // Split: the CDN takes the head's rest as well, beside the tail already asked for.
        askTail(download.filledBytes, tailFromBytes, null);
      }
    }
    if (cdnShares.length === 0) return true;
    try {
      const shares = await Promise.all(cdnShares.map((share) => share.promise));
      download.httpBytes += shares.reduce((sum, bytes) => sum + bytes, 0);
    } catch (error) {
      if (download.canceled) throw new AbortedError();
      // The CDN did not send a range: take the rest from the head on, as a whole.
      cancelCdnShares();
      download.forceHttp = true;
      ctx.log('debug', 'a split transfer fell back whole', { segment: download.key, err: error });
      return false;
    }
    download.filledBytes = sizeBytes;
    download.progress(sizeBytes, sizeBytes);
    return true;
  } finally {
    if (timer !== null) platform.clock.clearTimeout(timer);
    download.cancelCurrent = null;
    download.wakeCurrent = null;
  }
}

/** This peer is not asked for the download again; one that broke the protocol is banned. */
export function markPeerFailed(
  ctx: TransferContext,
  download: Download,
  session: PeerSession,
  error: unknown,
): void {
  download.failedPeers.add(session.remotePeerId);
  if (error instanceof EngineError && error.code === 'peer_protocol')
    ctx.peers?.ban(session.remotePeerId, 'protocol', download.info.sequence);
}

function isPeerTimeout(error: unknown): boolean {
  return error instanceof EngineError && error.code === 'peer_timeout';
}

/**
 * After a peer transfer failed (not given up by the watchdog): note the peer as failed for
 * this segment, ban it for a protocol breach, and say whether the bytes so far may be kept.
 * Bytes from a peer banned meanwhile (bad bytes on another segment) are not finished by someone
 * else: a bad prefix would fail the whole segment and get the innocent peer that completed it
 * banned too.
 */
function notePeerFailure(
  ctx: TransferContext,
  download: Download,
  session: PeerSession,
  error: unknown,
): boolean {
  markPeerFailed(ctx, download, session, error);
  if ([...download.contributors].some((peerId) => ctx.peers?.isBanned(peerId))) {
    ctx.discardBytes(download);
    return false;
  }
  return true;
}
