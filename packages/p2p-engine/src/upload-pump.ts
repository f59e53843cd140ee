import { DATA_HEADER_BYTES, encodeDataFrames, encodePeerFrame } from '@coral-cdn/protocol';
import type { ChannelDrain } from './channel-drain.js';
import type { EngineConfig } from './config.js';
import type { DataChannelLike } from './platform.js';
import type { ActiveUpload, ShareablePartLookup } from './peer-session-types.js';
import type { SegmentStore } from './segment-store.js';
import type { UploadLimiter } from './upload-limiter.js';

export interface UploadPumpDeps {
  config: EngineConfig;
  channel: DataChannelLike;
  limiter: UploadLimiter;
  drain: ChannelDrain;
  sleep: (ms: number) => Promise<void>;
  isOpen: () => boolean;
  /** Send one encoded frame; false when the channel is gone. */
  send: (bytes: Uint8Array) => boolean;
  /** Payload bytes of one DATA frame sent. */
  onSent: (payloadBytes: number) => void;
}

/**
 * Send a segment's asked range as DATA frames, under the upload cap and the channel's
 * high-water mark, then DONE; stops quietly when the upload is canceled or the session closes.
 */
export async function pumpUpload(
  deps: UploadPumpDeps,
  requestId: number,
  bytes: Uint8Array,
  range: { offsetBytes: number; endBytes: number },
  upload: ActiveUpload,
): Promise<void> {
  const { config, channel, limiter, drain } = deps;
  const stopped = () => upload.canceled || !deps.isOpen();
  const { offsetBytes, endBytes } = range;
  const frames = encodeDataFrames(requestId, bytes, offsetBytes, config.maxMessageBytes, endBytes);
  for (const frame of frames) {
    if (stopped()) return;
    while (channel.bufferedAmount > config.bufferedHighWaterBytes) {
      await drain.wait();
      if (stopped()) return;
    }
    for (;;) {
      const waitMs = limiter.take(frame.byteLength);
      if (waitMs === 0) break;
      await deps.sleep(Math.min(waitMs, 1000));
      if (stopped()) return;
    }
    if (!deps.send(frame)) return;
    deps.onSent(frame.byteLength - DATA_HEADER_BYTES);
  }
  if (upload.canceled) return;
  deps.send(encodePeerFrame({ type: 'done', requestId, totalBytes: bytes.byteLength }));
  // Hold the upload slot until the bytes have mostly left the channel's buffer: a slot
  // bounds what is really being sent, not only what is queued.
  while (!stopped() && channel.bufferedAmount > config.bufferedLowWaterBytes) {
    await drain.wait();
  }
}

/** The verified bytes a REQUEST or PART_REQUEST asks for, if held (parts: with their entry). */
export function requestedBytes(
  store: Pick<SegmentStore, 'peek'>,
  shareablePart: ShareablePartLookup,
  frame: { rendition: string; sequence: number; part?: number },
): Uint8Array | undefined {
  if (frame.part !== undefined) {
    const part = shareablePart({ ...frame, part: frame.part });
    return part?.signed ? part.bytes : undefined;
  }
  const segment = store.peek(frame.rendition, frame.sequence);
  return segment?.verified ? segment.bytes : undefined;
}
