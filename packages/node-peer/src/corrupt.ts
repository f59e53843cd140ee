import { DATA_HEADER_BYTES, PEER_PROTOCOL_VERSION, PeerFrameType } from '@coral-cdn/protocol';

/**
 * The corrupting test mode's one trick: flip the payload bytes of outgoing DATA frames in the
 * platform's send path. Everything else (handshake, have lists, the frame headers, sizes and
 * offsets) stays correct, so the peer looks normal to the tracker and to other peers until a
 * receiver checks the bytes against the signed hash. The engine itself is untouched.
 */
export interface CorruptionCounters {
  /** DATA frames whose payload was flipped. */
  frames: number;
  /** Payload bytes flipped. */
  bytes: number;
}

export function createDataFrameCorrupter(): {
  transform: (frame: Uint8Array) => Uint8Array;
  counters: CorruptionCounters;
} {
  const counters: CorruptionCounters = { frames: 0, bytes: 0 };
  const transform = (frame: Uint8Array): Uint8Array => {
    if (
      frame.byteLength <= DATA_HEADER_BYTES ||
      frame[0] !== PEER_PROTOCOL_VERSION ||
      frame[1] !== PeerFrameType.Data
    ) {
      return frame;
    }
    const out = frame.slice();
    for (let index = DATA_HEADER_BYTES; index < out.byteLength; index++) out[index]! ^= 0xff;
    counters.frames++;
    counters.bytes += out.byteLength - DATA_HEADER_BYTES;
    return out;
  };
  return { transform, counters };
}
