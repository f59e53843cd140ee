import {
  decodePartBody,
  encodePartFrame,
  isPartFrameType,
  type PartFrame,
} from './peer-wire-parts.js';
import {
  header,
  INVALID,
  Reader,
  readSignedHash,
  SIGNED_HASH_BYTES,
  signedHashBytes,
  truncated,
} from './wire-codec.js';
import { MAX_SEQUENCE, PEER_ID_PATTERN, RENDITION_PATTERN, STREAM_ID_PATTERN } from './ids.js';
import { err, ok, type Result } from './result.js';
import { PEER_PROTOCOL_VERSION } from './version.js';

/**
 * The binary peer protocol, spoken on a WebRTC data channel (one message = one frame).
 *
 *   frame   = u8 version (2) | u8 type | payload          (all integers big-endian)
 *   str8    = u8 length | ASCII bytes
 *
 *   HANDSHAKE 0x01  str8 peerId | str8 streamId
 *   BITFIELD  0x02  str8 rendition | u32 firstSequence | u32 count | ceil(count/8) bytes, MSB first
 *   HAVE      0x03  str8 rendition | u16 n | n × u32 added | u16 m | m × u32 lost
 *   REQUEST   0x04  u32 requestId | str8 rendition | u32 sequence | u32 offsetBytes
 *                   [| u32 endBytes]
 *   DATA      0x05  u32 requestId | u32 offsetBytes | u32 totalBytes | payload (rest)
 *   DONE      0x06  u32 requestId | u32 totalBytes
 *   ABSENT    0x07  u32 requestId | u8 reason (0 not held, 1 busy, 2 over upload cap)
 *   CANCEL    0x08  u32 requestId
 *   SIGNED    0x09  str8 rendition | u32 sequence | u32 sizeBytes | 32 bytes SHA-256
 *                   | 64 bytes Ed25519 signature
 *   0x0a–0x0c       LL-HLS part frames (PART_SIGNED, PART_HAVE, PART_REQUEST): peer-wire-parts.ts
 *
 * A REQUEST with a non-zero offset resumes a transfer; one with an end asks for the bytes
 * [offsetBytes, endBytes) only (a segment split between sources), and its DONE comes after
 * endBytes (peers older than the end field close the channel on it); DATA chunks arrive in order on a
 * reliable ordered channel; DONE closes a request; ABSENT refuses it; CANCEL stops it.
 * SIGNED is the origin's signed entry of a live segment, as in its integrity manifest (the
 * signature covers the stream, rendition, sequence, hash and size): a peer sends it before the
 * BITFIELD or HAVE that says it holds the segment, so that the receiver can check the bytes
 * without fetching the manifest. The receiver checks the signature; a bad one is a forgery.
 */

export const PeerFrameType = {
  Handshake: 0x01,
  Bitfield: 0x02,
  Have: 0x03,
  Request: 0x04,
  Data: 0x05,
  Done: 0x06,
  Absent: 0x07,
  Cancel: 0x08,
  Signed: 0x09,
} as const;

export const AbsentReason = { NotHeld: 0, Busy: 1, OverUploadCap: 2 } as const;
export type AbsentReason = (typeof AbsentReason)[keyof typeof AbsentReason];

/** Most sequences one BITFIELD may describe (8 KiB of bits). */
export const MAX_BITFIELD_COUNT = 65_536;
/** Most sequences in each list of a HAVE frame. */
export const MAX_HAVE_ENTRIES = 4096;
/** Header bytes before a DATA frame's payload. */
export const DATA_HEADER_BYTES = 14;
/** Message size every WebRTC implementation accepts (RFC 8831 §6.6 advice). */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024;

export interface HandshakeFrame {
  type: 'handshake';
  peerId: string;
  streamId: string;
}
export interface BitfieldFrame {
  type: 'bitfield';
  rendition: string;
  firstSequence: number;
  /** Sequences held, ascending, all within [firstSequence, firstSequence + count). */
  count: number;
  bits: Uint8Array;
}
export interface HaveFrame {
  type: 'have';
  rendition: string;
  added: number[];
  lost: number[];
}
export interface RequestFrame {
  type: 'request';
  requestId: number;
  rendition: string;
  sequence: number;
  offsetBytes: number;
  /** Only the bytes before this offset (absent: to the segment's end). */
  endBytes?: number;
}
export interface DataFrame {
  type: 'data';
  requestId: number;
  offsetBytes: number;
  totalBytes: number;
  payload: Uint8Array;
}
export interface DoneFrame {
  type: 'done';
  requestId: number;
  totalBytes: number;
}
export interface AbsentFrame {
  type: 'absent';
  requestId: number;
  reason: AbsentReason;
}
export interface CancelFrame {
  type: 'cancel';
  requestId: number;
}
export interface SignedFrame {
  type: 'signed';
  rendition: string;
  sequence: number;
  sizeBytes: number;
  /** Lowercase hex, as in the integrity manifest. */
  sha256: string;
  /** base64url, as in the integrity manifest. */
  signature: string;
}

export type PeerFrame =
  | HandshakeFrame
  | BitfieldFrame
  | HaveFrame
  | RequestFrame
  | DataFrame
  | DoneFrame
  | AbsentFrame
  | CancelFrame
  | SignedFrame
  | PartFrame;

function checkU32(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_SEQUENCE) {
    throw new RangeError(`${name} must be a u32, got ${value}`);
  }
}

function checkPattern(name: string, value: string, pattern: RegExp): void {
  if (!pattern.test(value))
    throw new RangeError(`${name} "${value}" does not match ${pattern.source}`);
}

/** Encode a frame. Throws RangeError on values the wire cannot carry (a caller bug). */
export function encodePeerFrame(frame: PeerFrame): Uint8Array {
  switch (frame.type) {
    case 'part-have':
    case 'part-request':
    case 'part-signed':
      return encodePartFrame(frame);
    case 'handshake':
      checkPattern('peerId', frame.peerId, PEER_ID_PATTERN);
      checkPattern('streamId', frame.streamId, STREAM_ID_PATTERN);
      return header(PeerFrameType.Handshake, 2 + frame.peerId.length + frame.streamId.length)
        .str8(frame.peerId)
        .str8(frame.streamId)
        .done();
    case 'bitfield': {
      checkPattern('rendition', frame.rendition, RENDITION_PATTERN);
      checkU32('firstSequence', frame.firstSequence);
      if (!Number.isInteger(frame.count) || frame.count < 0 || frame.count > MAX_BITFIELD_COUNT) {
        throw new RangeError(`bitfield count ${frame.count} out of range`);
      }
      const byteCount = Math.ceil(frame.count / 8);
      if (frame.bits.byteLength !== byteCount)
        throw new RangeError('bitfield bits length mismatch');
      return header(PeerFrameType.Bitfield, 1 + frame.rendition.length + 8 + byteCount)
        .str8(frame.rendition)
        .u32(frame.firstSequence)
        .u32(frame.count)
        .raw(frame.bits)
        .done();
    }
    case 'have': {
      checkPattern('rendition', frame.rendition, RENDITION_PATTERN);
      if (frame.added.length > MAX_HAVE_ENTRIES || frame.lost.length > MAX_HAVE_ENTRIES) {
        throw new RangeError(`have lists are limited to ${MAX_HAVE_ENTRIES} entries`);
      }
      const writer = header(
        PeerFrameType.Have,
        1 + frame.rendition.length + 4 + 4 * (frame.added.length + frame.lost.length),
      )
        .str8(frame.rendition)
        .u16(frame.added.length);
      for (const sequence of frame.added) {
        checkU32('sequence', sequence);
        writer.u32(sequence);
      }
      writer.u16(frame.lost.length);
      for (const sequence of frame.lost) {
        checkU32('sequence', sequence);
        writer.u32(sequence);
      }
      return writer.done();
    }
    case 'request':
      checkU32('requestId', frame.requestId);
      checkPattern('rendition', frame.rendition, RENDITION_PATTERN);
      checkU32('sequence', frame.sequence);
      checkU32('offsetBytes', frame.offsetBytes);
      {
        const { endBytes } = frame;
        if (endBytes !== undefined) {
          checkU32('endBytes', endBytes);
          if (endBytes <= frame.offsetBytes) throw new RangeError('request ends before it starts');
        }
        const writer = header(
          PeerFrameType.Request,
          4 + 1 + frame.rendition.length + (endBytes === undefined ? 8 : 12),
        )
          .u32(frame.requestId)
          .str8(frame.rendition)
          .u32(frame.sequence)
          .u32(frame.offsetBytes);
        return (endBytes === undefined ? writer : writer.u32(endBytes)).done();
      }
    case 'data':
      checkU32('requestId', frame.requestId);
      checkU32('offsetBytes', frame.offsetBytes);
      checkU32('totalBytes', frame.totalBytes);
      if (frame.offsetBytes + frame.payload.byteLength > frame.totalBytes) {
        throw new RangeError('data chunk runs past totalBytes');
      }
      return header(PeerFrameType.Data, 12 + frame.payload.byteLength)
        .u32(frame.requestId)
        .u32(frame.offsetBytes)
        .u32(frame.totalBytes)
        .raw(frame.payload)
        .done();
    case 'done':
      checkU32('requestId', frame.requestId);
      checkU32('totalBytes', frame.totalBytes);
      return header(PeerFrameType.Done, 8).u32(frame.requestId).u32(frame.totalBytes).done();
    case 'absent':
      checkU32('requestId', frame.requestId);
      return header(PeerFrameType.Absent, 5).u32(frame.requestId).u8(frame.reason).done();
    case 'cancel':
      checkU32('requestId', frame.requestId);
      return header(PeerFrameType.Cancel, 4).u32(frame.requestId).done();
    case 'signed': {
      checkPattern('rendition', frame.rendition, RENDITION_PATTERN);
      checkU32('sequence', frame.sequence);
      checkU32('sizeBytes', frame.sizeBytes);
      const { sha256, signature } = signedHashBytes(frame.sha256, frame.signature);
      return header(PeerFrameType.Signed, 1 + frame.rendition.length + 8 + SIGNED_HASH_BYTES)
        .str8(frame.rendition)
        .u32(frame.sequence)
        .u32(frame.sizeBytes)
        .raw(sha256)
        .raw(signature)
        .done();
    }
  }
}

/**
 * Decode one data-channel message. Never throws: bad input comes back as a typed error.
 * DATA payloads are views into `input` (no copy); copy them if `input` is reused.
 */
export function decodePeerFrame(input: Uint8Array | ArrayBuffer): Result<PeerFrame> {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  const reader = new Reader(bytes);
  const version = reader.u8();
  const type = reader.u8();
  if (version === null || type === null) return err('truncated', 'frame shorter than its header');
  if (version !== PEER_PROTOCOL_VERSION) {
    return err(
      'unsupported_version',
      `peer protocol version ${version} is not ${PEER_PROTOCOL_VERSION}`,
    );
  }
  const frame = decodeBody(type, reader);
  if (!frame.ok) return frame;
  if (reader.remaining !== 0 && frame.value.type !== 'data') {
    return err(
      'trailing_bytes',
      `${frame.value.type} frame has ${reader.remaining} trailing bytes`,
    );
  }
  return frame;
}

function decodeBody(type: number, reader: Reader): Result<PeerFrame> {
  switch (type) {
    case PeerFrameType.Handshake: {
      const peerId = reader.str8(PEER_ID_PATTERN);
      if (peerId === null) return truncated('handshake');
      if (peerId === INVALID) return err('bad_value', 'handshake peer id is invalid');
      const streamId = reader.str8(STREAM_ID_PATTERN);
      if (streamId === null) return truncated('handshake');
      if (streamId === INVALID) return err('bad_value', 'handshake stream id is invalid');
      return ok({ type: 'handshake', peerId, streamId });
    }
    case PeerFrameType.Bitfield: {
      const rendition = reader.str8(RENDITION_PATTERN);
      if (rendition === null) return truncated('bitfield');
      if (rendition === INVALID) return err('bad_value', 'bitfield rendition is invalid');
      const firstSequence = reader.u32();
      const count = reader.u32();
      if (firstSequence === null || count === null) return truncated('bitfield');
      if (count > MAX_BITFIELD_COUNT) return err('bad_value', `bitfield count ${count} too large`);
      if (firstSequence + count - 1 > MAX_SEQUENCE && count > 0) {
        return err('bad_value', 'bitfield runs past the largest sequence');
      }
      const bits = reader.raw(Math.ceil(count / 8));
      if (bits === null) return truncated('bitfield');
      return ok({ type: 'bitfield', rendition, firstSequence, count, bits });
    }
    case PeerFrameType.Have: {
      const rendition = reader.str8(RENDITION_PATTERN);
      if (rendition === null) return truncated('have');
      if (rendition === INVALID) return err('bad_value', 'have rendition is invalid');
      const added = readSequenceList(reader);
      if (added === null) return truncated('have');
      const lost = readSequenceList(reader);
      if (lost === null) return truncated('have');
      if (added === 'too_long' || lost === 'too_long') {
        return err('bad_value', `have lists are limited to ${MAX_HAVE_ENTRIES} entries`);
      }
      return ok({ type: 'have', rendition, added, lost });
    }
    case PeerFrameType.Request: {
      const requestId = reader.u32();
      if (requestId === null) return truncated('request');
      const rendition = reader.str8(RENDITION_PATTERN);
      if (rendition === null) return truncated('request');
      if (rendition === INVALID) return err('bad_value', 'request rendition is invalid');
      const sequence = reader.u32();
      const offsetBytes = reader.u32();
      if (sequence === null || offsetBytes === null) return truncated('request');
      if (reader.remaining === 0)
        return ok({ type: 'request', requestId, rendition, sequence, offsetBytes });
      const endBytes = reader.u32();
      if (endBytes === null) return truncated('request');
      if (endBytes <= offsetBytes) return err('bad_value', 'request ends before it starts');
      return ok({ type: 'request', requestId, rendition, sequence, offsetBytes, endBytes });
    }
    case PeerFrameType.Data: {
      const requestId = reader.u32();
      const offsetBytes = reader.u32();
      const totalBytes = reader.u32();
      if (requestId === null || offsetBytes === null || totalBytes === null)
        return truncated('data');
      const payload = reader.rest();
      if (offsetBytes + payload.byteLength > totalBytes) {
        return err('bad_value', 'data chunk runs past its totalBytes');
      }
      return ok({ type: 'data', requestId, offsetBytes, totalBytes, payload });
    }
    case PeerFrameType.Done: {
      const requestId = reader.u32();
      const totalBytes = reader.u32();
      if (requestId === null || totalBytes === null) return truncated('done');
      return ok({ type: 'done', requestId, totalBytes });
    }
    case PeerFrameType.Absent: {
      const requestId = reader.u32();
      const reason = reader.u8();
      if (requestId === null || reason === null) return truncated('absent');
      if (reason > AbsentReason.OverUploadCap)
        return err('bad_value', `unknown absent reason ${reason}`);
      return ok({ type: 'absent', requestId, reason: reason as AbsentReason });
    }
    case PeerFrameType.Cancel: {
      const requestId = reader.u32();
      if (requestId === null) return truncated('cancel');
      return ok({ type: 'cancel', requestId });
    }
    case PeerFrameType.Signed: {
      const rendition = reader.str8(RENDITION_PATTERN);
      if (rendition === null) return truncated('signed');
      if (rendition === INVALID) return err('bad_value', 'signed rendition is invalid');
      const sequence = reader.u32();
      const sizeBytes = reader.u32();
      const hash = readSignedHash(reader);
      if (sequence === null || sizeBytes === null || hash === null) return truncated('signed');
      return ok({
        type: 'signed',
        rendition,
        sequence,
        sizeBytes,
        ...hash,
      });
    }
    default:
      if (isPartFrameType(type)) return decodePartBody(type, reader);
      return err('unknown_type', `unknown peer frame type 0x${type.toString(16).padStart(2, '0')}`);
  }
}

function readSequenceList(reader: Reader): number[] | null | 'too_long' {
  const count = reader.u16();
  if (count === null) return null;
  if (count > MAX_HAVE_ENTRIES) return 'too_long';
  if (reader.remaining < count * 4) return null;
  const list: number[] = [];
  for (let i = 0; i < count; i++) list.push(reader.u32()!);
  return list;
}

/** Build a BITFIELD from the sequences a peer holds (at most MAX_BITFIELD_COUNT wide). */
export function bitfieldFromSequences(
  rendition: string,
  sequences: Iterable<number>,
): BitfieldFrame {
  const sorted = [...new Set(sequences)].sort((a, b) => a - b);
  if (sorted.length === 0)
    return { type: 'bitfield', rendition, firstSequence: 0, count: 0, bits: new Uint8Array(0) };
  const last = sorted[sorted.length - 1]!;
  const firstSequence = Math.max(sorted[0]!, last - MAX_BITFIELD_COUNT + 1);
  const count = last - firstSequence + 1;
  const bits = new Uint8Array(Math.ceil(count / 8));
  for (const sequence of sorted) {
    if (sequence < firstSequence) continue;
    const index = sequence - firstSequence;
    bits[index >> 3]! |= 0x80 >> (index & 7);
  }
  return { type: 'bitfield', rendition, firstSequence, count, bits };
}

/** The sequences a BITFIELD marks as held, ascending. */
export function sequencesFromBitfield(frame: BitfieldFrame): number[] {
  const sequences: number[] = [];
  for (let index = 0; index < frame.count; index++) {
    if ((frame.bits[index >> 3]! & (0x80 >> (index & 7))) !== 0) {
      sequences.push(frame.firstSequence + index);
    }
  }
  return sequences;
}

/**
 * Split a segment's bytes [startOffsetBytes, endOffsetBytes) (the whole segment by default; a
 * resumed or split request asks for less) into DATA frames no larger than `maxMessageBytes`.
 * Lazy, so a sender can stop when the channel is full.
 */
export function* encodeDataFrames(
  requestId: number,
  segment: Uint8Array,
  startOffsetBytes: number,
  maxMessageBytes: number = DEFAULT_MAX_MESSAGE_BYTES,
  endOffsetBytes: number = segment.byteLength,
): Generator<Uint8Array, void, undefined> {
  const chunkBytes = maxMessageBytes - DATA_HEADER_BYTES;
  if (chunkBytes < 1)
    throw new RangeError(`maxMessageBytes ${maxMessageBytes} leaves no room for data`);
  if (endOffsetBytes > segment.byteLength) throw new RangeError('end offset past the segment');
  if (startOffsetBytes > endOffsetBytes) throw new RangeError('start offset past the end');
  for (let offset = startOffsetBytes; offset < endOffsetBytes; offset += chunkBytes) {
    yield encodePeerFrame({
      type: 'data',
      requestId,
      offsetBytes: offset,
      totalBytes: segment.byteLength,
      payload: segment.subarray(offset, Math.min(offset + chunkBytes, endOffsetBytes)),
    });
  }
}
