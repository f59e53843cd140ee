import type { Download } from './download.js';
import { AbortedError } from './errors.js';
import { fetchRangeInto } from './http-transfer.js';
import type { Cancelable, TimerId } from './platform.js';
import type { PeerSession } from './peer-session.js';
import {
  markPeerFailed,
  transferFallsBehind,
  WATCHDOG_INTERVAL_MS,
  watchdogSnapshot,
  type TransferContext,
} from './peer-transfer.js';

/**
 * Bytes [fromBytes, toBytes) of a split download from a second peer, into the download's sink
 * beside the head's peer. The CDN takes over from the bytes received when this peer fails or
 * falls behind its deadline (watched as a head transfer is). Resolves with the bytes the CDN
 * sent for it (0: the peer delivered it all); rejects when canceled or when the CDN fails too.
 */
export function fetchTailFromPeer(
  ctx: TransferContext,
  download: Download,
  session: PeerSession,
  fromBytes: number,
  toBytes: number,
): Cancelable<number> {
  const { platform } = ctx;
  const { rendition, sequence } = download.info;
  const startedAtMs = platform.clock.now();
  let firstByteAtMs: number | null = null;
  let filledBytes = fromBytes;
  let canceled = false;
  let timer: TimerId | null = null;
  let cdnShare: Cancelable<number> | null = null;
  const transfer = session.download(rendition, sequence, {
    sink: download.sink!,
    offsetBytes: fromBytes,
    endBytes: toBytes,
    onProgress: (filled) => {
      firstByteAtMs ??= platform.clock.now();
      download.notePeerBytes(session.remotePeerId, filledBytes, filled);
      filledBytes = filled;
    },
  });
  const watchdog = () => {
    timer = null;
    const nowMs = platform.clock.now();
    const moved = { startedAtMs, firstByteAtMs, movedBytes: filledBytes - fromBytes };
    const remainingBytes = toBytes - filledBytes;
    if (
      transferFallsBehind(watchdogSnapshot(ctx, download, session, nowMs, moved, remainingBytes))
    ) {
      ctx.stats.fallbacks++;
      transfer.cancel();
      return;
    }
    timer = platform.clock.setTimeout(watchdog, WATCHDOG_INTERVAL_MS);
  };
  watchdog();
  const promise = (async () => {
    try {
      await transfer.promise;
      return 0;
    } catch (error) {
      if (canceled || download.canceled) throw new AbortedError();
      // Failed or behind: this peer is not asked for the segment again; the CDN sends the rest.
      markPeerFailed(ctx, download, session, error);
      download.noteCdnReason('fallback', ctx.stats.cdnReasons);
    } finally {
      if (timer !== null) platform.clock.clearTimeout(timer);
    }
    cdnShare = fetchRangeInto(ctx, download, filledBytes, toBytes);
    return cdnShare.promise;
  })();
  return {
    promise,
    cancel: () => {
      canceled = true;
      transfer.cancel();
      cdnShare?.cancel();
    },
  };
}
