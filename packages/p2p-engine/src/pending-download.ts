import type { PeerFrame } from '@coral-cdn/protocol';
import type { PeerDownloadResult, PendingDownload } from './peer-session-types.js';
import type { Clock } from './platform.js';

/** What a caller asks of one peer download (see `PeerSession.download`). */
export interface PeerDownloadOptions {
  sink: Uint8Array;
  offsetBytes?: number;
  /** Only the bytes before this offset (default: to the end of `sink`). */
  endBytes?: number;
  onProgress?: (filledBytes: number) => void;
  /** An LL-HLS part of the segment instead of the whole segment. */
  part?: number;
}

/** A download's bookkeeping before any timer is armed, and the promise it settles. */
export function newPendingDownload(
  requestId: number,
  rendition: string,
  sequence: number,
  options: PeerDownloadOptions,
  nowMs: number,
): { pending: PendingDownload; promise: Promise<PeerDownloadResult> } {
  let pending!: PendingDownload;
  const promise = new Promise<PeerDownloadResult>((resolve, reject) => {
    pending = {
      requestId,
      rendition,
      sequence,
      part: options.part ?? null,
      sink: options.sink,
      startOffset: options.offsetBytes ?? 0,
      nextOffset: options.offsetBytes ?? 0,
      endOffset: options.endBytes ?? options.sink.byteLength,
      startedAtMs: nowMs,
      firstByteAtMs: null,
      stallTimer: null,
      deadlineTimer: null,
      onProgress: options.onProgress ?? (() => undefined),
      resolve,
      reject,
    };
  });
  return { pending, promise };
}

/** The REQUEST (whole segment) or PART_REQUEST that asks the peer for a pending download. */
export function requestFrameOf(pending: PendingDownload): PeerFrame {
  const { requestId, rendition, sequence, part, nextOffset: offsetBytes, endOffset } = pending;
  if (part !== null)
    return { type: 'part-request', requestId, rendition, sequence, part, offsetBytes };
  const request = { type: 'request', requestId, rendition, sequence, offsetBytes } as const;
  // The end goes on the wire only when it cuts the segment short.
  return endOffset < pending.sink.byteLength ? { ...request, endBytes: endOffset } : request;
}

/**
 * Why a DATA chunk breaks the transfer: out of order, past the asked range, or a size that is
 * not the signed one.
 */
export function chunkViolation(
  pending: PendingDownload,
  offsetBytes: number,
  totalBytes: number,
  payloadBytes: number,
): string | null {
  if (offsetBytes !== pending.nextOffset)
    return `chunk at ${offsetBytes}, expected ${pending.nextOffset}`;
  if (totalBytes !== pending.sink.byteLength)
    return `total ${totalBytes}, signed size ${pending.sink.byteLength}`;
  if (offsetBytes + payloadBytes > pending.endOffset)
    return `chunk runs to ${offsetBytes + payloadBytes}, asked up to ${pending.endOffset}`;
  return null;
}

/** Why a DONE breaks the transfer: it must come after exactly the asked range, of the signed size. */
export function doneViolation(pending: PendingDownload, totalBytes: number): string | null {
  return pending.nextOffset !== pending.endOffset || totalBytes !== pending.sink.byteLength
    ? `done at ${pending.nextOffset} of ${totalBytes}`
    : null;
}

/** Disarm a download's stall timer, and its deadline too unless only the stall is asked. */
export function clearDownloadTimers(
  pending: PendingDownload,
  clock: Pick<Clock, 'clearTimeout'>,
  which: 'all' | 'stall' = 'all',
): void {
  if (pending.stallTimer !== null) clock.clearTimeout(pending.stallTimer);
  pending.stallTimer = null;
  if (which === 'stall') return;
  if (pending.deadlineTimer !== null) clock.clearTimeout(pending.deadlineTimer);
  pending.deadlineTimer = null;
}
