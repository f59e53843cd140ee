import type { EngineConfig } from './config.js';
import type { Download } from './download.js';
import { AbortedError, EngineError } from './errors.js';
import type { IntegrityRegistry } from './integrity.js';
import type { EnginePlatform, TimerId } from './platform.js';
import type { PeerManager } from './peer-manager.js';
import type { PeerSession } from './peer-session.js';
import {
  HTTP_REQUEST_LATENCY_MS,
  PEER_REQUEST_LATENCY_MS,
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

/** Cancel the transfer (and take the rest from the CDN)? */
export function transferFallsBehind(s: WatchdogSnapshot): boolean {
  return s.urgent && projectedEndMs(s) > s.deadlineMs - runningMarginMs(s);
}

/**
 * Fetch from a peer into the download's sink, watched against the deadline: a transfer that
 * falls behind is cancelled and the download is marked to take the rest over HTTP (a Range
 * request from the bytes received). True when all bytes arrived.
 */
export async function fetchFromPeer(
  ctx: TransferContext,
  download: Download,
  session: PeerSession,
): Promise<boolean> {
  const { config, platform } = ctx;
  const info = download.info;
  const entry = ctx.integrity!.known(info.rendition, info.sequence)!;
  if (!download.sink || download.sink.byteLength !== entry.sizeBytes) {
    ctx.discardBytes(download);
    download.sink = new Uint8Array(entry.sizeBytes);
  }
  const startOffset = download.filledBytes;
  const startedAtMs = platform.clock.now();
  ctx.log('debug', 'peer transfer started', {
    segment: download.key,
    peerId: session.remotePeerId,
    offsetBytes: startOffset,
    deadlineInMs: Math.round(ctx.deadlineOf(download, startedAtMs) - startedAtMs),
    estimateBytesPerSec: Math.round(session.throughput.bytesPerSec),
    pathRttMs: session.pathRttMs,
  });
  let transferFirstByteAtMs: number | null = null;
  let fellBehind = false;
  const transfer = session.download(info.rendition, info.sequence, {
    sink: download.sink,
    offsetBytes: startOffset,
    onProgress: (filled) => {
      const now = platform.clock.now();
      transferFirstByteAtMs ??= now;
      download.firstByteAtMs ??= now;
      download.p2pBytes += filled - download.filledBytes;
      download.filledBytes = filled;
      download.contributors.add(session.remotePeerId);
      download.progress(filled, entry.sizeBytes);
    },
  });
  download.cancelCurrent = transfer.cancel;
  // A deadline moved earlier (the player asked for a prefetch) is handled by the watchdog too.
  download.wakeCurrent = () => watchdog();
  let timer: TimerId | null = null;
  const watchdog = () => {
    if (timer !== null) platform.clock.clearTimeout(timer);
    timer = null;
    if (download.canceled) return;
    const now = platform.clock.now();
    const behind = transferFallsBehind({
      nowMs: now,
      startedAtMs,
      firstByteAtMs: transferFirstByteAtMs,
      movedBytes: download.filledBytes - startOffset,
      remainingBytes: entry.sizeBytes - download.filledBytes,
      estimateBytesPerSec: session.throughput.bytesPerSec,
      pathRttMs: session.pathRttMs,
      maxMessageBytes: config.maxMessageBytes,
      deadlineMs: ctx.deadlineOf(download, now),
      safetyMarginMs: config.safetyMarginMs,
      httpBytesPerSec: ctx.httpBytesPerSec(),
      cdnFallbackGuardMs: config.cdnFallbackGuardMs,
      urgent: download.playerRequested || download.reason === 'player',
    });
    if (behind) {
      fellBehind = true;
      transfer.cancel();
      return;
    }
    timer = platform.clock.setTimeout(watchdog, WATCHDOG_INTERVAL_MS);
  };
  watchdog();
  try {
    await transfer.promise;
    return true;
  } catch (error) {
    if (download.canceled) throw new AbortedError();
    if (fellBehind) {
      ctx.stats.fallbacks++;
      download.forceHttp = true;
      const nowMs = platform.clock.now();
      ctx.log('debug', 'peer transfer behind its deadline: resuming over HTTP', {
        segment: download.key,
        peerId: session.remotePeerId,
        filledBytes: download.filledBytes,
        sizeBytes: entry.sizeBytes,
        elapsedMs: Math.round(nowMs - startedAtMs),
        deadlineInMs: Math.round(ctx.deadlineOf(download, nowMs) - nowMs),
        estimateBytesPerSec: Math.round(session.throughput.bytesPerSec),
        pathRttMs: session.pathRttMs,
      });
      return false;
    }
    const code = error instanceof EngineError ? error.code : 'network_error';
    download.failedPeers.add(session.remotePeerId);
    if (code === 'peer_protocol') ctx.peers?.ban(session.remotePeerId, 'protocol', info.sequence);
    // Bytes from a peer banned meanwhile (bad bytes on another segment) are not finished by
    // someone else: a bad prefix would fail the whole segment and get the innocent peer that
    // completed it banned too.
    if ([...download.contributors].some((peerId) => ctx.peers?.isBanned(peerId))) {
      ctx.discardBytes(download);
      return false;
    }
    if (code === 'peer_timeout' && download.filledBytes > 0) {
      ctx.stats.fallbacks++;
      download.forceHttp = true;
    }
    return false;
  } finally {
    if (timer !== null) platform.clock.clearTimeout(timer);
    download.cancelCurrent = null;
    download.wakeCurrent = null;
  }
}
