import { MAX_SEQUENCE, RENDITION_PATTERN } from './ids.js';
import { err, ok, type Result } from './result.js';
import {
  header,
  INVALID,
  type Reader,
  readSignedHash,
  SIGNED_HASH_BYTES,
  signedHashBytes,
  truncated,
} from './wire-codec.js';

/**
 * Peer frames that name LL-HLS parts (partial segments): part `part` (from 0) of media segment
 * `sequence` of a rendition. They add to the protocol without changing any older frame: DATA,
 * DONE, ABSENT and CANCEL answer a PART_REQUEST by its request id exactly as a REQUEST.
 *
 *   PART_SIGNED  0x0a  str8 rendition | u32 sequence | u16 part | u32 sizeBytes
 *                      | 32 bytes SHA-256 | 64 bytes Ed25519 signature (`coral-part/1`)
 *   PART_HAVE    0x0b  str8 rendition | u32 sequence | u16 part
 *   PART_REQUEST 0x0c  u32 requestId | str8 rendition | u32 sequence | u16 part | u32 offsetBytes
 *
 * A peer sends PART_SIGNED before the PART_HAVE that says it holds the part, so the receiver can
 * check the part's bytes against the origin's signature without fetching the manifest. Parts are
 * short-lived (a few seconds at the live edge): there is no "lost" list, a holder that dropped a
 * part answers ABSENT.
 */
export const PartFrameType = {
  PartSigned: 0x0a,
  PartHave: 0x0b,
  PartRequest: 0x0c,
} as const;

/** Largest part index on the wire (the integrity manifest's MAX_PART_INDEX fits). */
export const MAX_WIRE_PART_INDEX = 0xffff;

export interface PartSignedFrame {
  type: 'part-signed';
  rendition: string;
  sequence: number;
  part: number;
  sizeBytes: number;
  /** Lowercase hex, as in the integrity manifest. */
  sha256: string;
  /** base64url, as in the integrity manifest. */
  signature: string;
}
export interface PartHaveFrame {
  type: 'part-have';
  rendition: string;
  sequence: number;
  part: number;
}
export interface PartRequestFrame {
  type: 'part-request';
  requestId: number;
  rendition: string;
  sequence: number;
  part: number;
  offsetBytes: number;
}

export type PartFrame = PartSignedFrame | PartHaveFrame | PartRequestFrame;

function checkRange(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${name} must be an integer in [0, ${max}], got ${value}`);
  }
}

function checkRendition(value: string): void {
  if (!RENDITION_PATTERN.test(value)) throw new RangeError(`rendition "${value}" is invalid`);
}

/** Encode a part frame. Throws RangeError on values the wire cannot carry (a caller bug). */
export function encodePartFrame(frame: PartFrame): Uint8Array {
  checkRendition(frame.rendition);
  checkRange('sequence', frame.sequence, MAX_SEQUENCE);
  checkRange('part', frame.part, MAX_WIRE_PART_INDEX);
  const nameBytes = 1 + frame.rendition.length + 4 + 2;
  switch (frame.type) {
    case 'part-have':
      return header(PartFrameType.PartHave, nameBytes)
        .str8(frame.rendition)
        .u32(frame.sequence)
        .u16(frame.part)
        .done();
    case 'part-request':
      checkRange('requestId', frame.requestId, MAX_SEQUENCE);
      checkRange('offsetBytes', frame.offsetBytes, MAX_SEQUENCE);
      return header(PartFrameType.PartRequest, 4 + nameBytes + 4)
        .u32(frame.requestId)
        .str8(frame.rendition)
        .u32(frame.sequence)
        .u16(frame.part)
        .u32(frame.offsetBytes)
        .done();
    case 'part-signed': {
      checkRange('sizeBytes', frame.sizeBytes, MAX_SEQUENCE);
      const { sha256, signature } = signedHashBytes(frame.sha256, frame.signature);
      return header(PartFrameType.PartSigned, nameBytes + 4 + SIGNED_HASH_BYTES)
        .str8(frame.rendition)
        .u32(frame.sequence)
        .u16(frame.part)
        .u32(frame.sizeBytes)
        .raw(sha256)
        .raw(signature)
        .done();
    }
  }
}

export function isPartFrameType(type: number): boolean {
  return type >= PartFrameType.PartSigned && type <= PartFrameType.PartRequest;
}

type PartName = { rendition: string; sequence: number; part: number };

function readPartName(reader: Reader, what: string): Result<PartName> {
  const rendition = reader.str8(RENDITION_PATTERN);
  if (rendition === null) return truncated(what);
  if (rendition === INVALID) return err('bad_value', `${what} rendition is invalid`);
  const sequence = reader.u32();
  const part = reader.u16();
  if (sequence === null || part === null) return truncated(what);
  return ok({ rendition, sequence, part });
}

/** The body of a part frame (after version and type). Never throws. */
export function decodePartBody(type: number, reader: Reader): Result<PartFrame> {
  switch (type) {
    case PartFrameType.PartHave: {
      const name = readPartName(reader, 'part-have');
      return name.ok ? ok({ type: 'part-have', ...name.value }) : name;
    }
    case PartFrameType.PartRequest: {
      const requestId = reader.u32();
      if (requestId === null) return truncated('part-request');
      const name = readPartName(reader, 'part-request');
      if (!name.ok) return name;
      const offsetBytes = reader.u32();
      if (offsetBytes === null) return truncated('part-request');
      return ok({ type: 'part-request', requestId, ...name.value, offsetBytes });
    }
    case PartFrameType.PartSigned: {
      const name = readPartName(reader, 'part-signed');
      if (!name.ok) return name;
      const sizeBytes = reader.u32();
      const hash = readSignedHash(reader);
      if (sizeBytes === null || hash === null) return truncated('part-signed');
      return ok({
        type: 'part-signed',
        ...name.value,
        sizeBytes,
        ...hash,
      });
    }
    default:
      return err('unknown_type', `unknown part frame type 0x${type.toString(16)}`);
  }
}
