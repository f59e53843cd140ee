import { asciiBytes, asciiString, fromBase64Url, fromHex, toBase64Url, toHex } from './bytes.js';
import { err, type Result } from './result.js';
import { PEER_PROTOCOL_VERSION } from './version.js';

/** Byte writer and reader shared by the peer frame codecs (big-endian, str8 = u8 length | ASCII). */
export class Writer {
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private offset = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  u8(value: number): this {
    this.view.setUint8(this.offset, value);
    this.offset += 1;
    return this;
  }
  u16(value: number): this {
    this.view.setUint16(this.offset, value);
    this.offset += 2;
    return this;
  }
  u32(value: number): this {
    this.view.setUint32(this.offset, value);
    this.offset += 4;
    return this;
  }
  raw(value: Uint8Array): this {
    this.bytes.set(value, this.offset);
    this.offset += value.byteLength;
    return this;
  }
  str8(value: string): this {
    const encoded = asciiBytes(value);
    return this.u8(encoded.byteLength).raw(encoded);
  }
  done(): Uint8Array {
    return this.bytes;
  }
}

export function header(type: number, payloadBytes: number): Writer {
  return new Writer(2 + payloadBytes).u8(PEER_PROTOCOL_VERSION).u8(type);
}

export const INVALID = Symbol('invalid');

export class Reader {
  private readonly view: DataView;
  offset = 0;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get remaining(): number {
    return this.bytes.byteLength - this.offset;
  }
  u8(): number | null {
    if (this.remaining < 1) return null;
    return this.view.getUint8(this.offset++);
  }
  u16(): number | null {
    if (this.remaining < 2) return null;
    const value = this.view.getUint16(this.offset);
    this.offset += 2;
    return value;
  }
  u32(): number | null {
    if (this.remaining < 4) return null;
    const value = this.view.getUint32(this.offset);
    this.offset += 4;
    return value;
  }
  raw(length: number): Uint8Array | null {
    if (this.remaining < length) return null;
    const value = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }
  /** null: truncated; INVALID: present but not matching `pattern`. */
  str8(pattern: RegExp): string | null | typeof INVALID {
    const length = this.u8();
    if (length === null) return null;
    const raw = this.raw(length);
    if (raw === null) return null;
    const text = asciiString(raw);
    return text !== null && pattern.test(text) ? text : INVALID;
  }
  rest(): Uint8Array {
    return this.raw(this.remaining) ?? new Uint8Array(0);
  }
}

export const truncated = (what: string): Result<never> =>
  err('truncated', `${what} frame is truncated`);

const SHA256_BYTES = 32;
const SIGNATURE_BYTES = 64;
/** Wire bytes of a signed entry's SHA-256 and Ed25519 signature (SIGNED, PART_SIGNED). */
export const SIGNED_HASH_BYTES = SHA256_BYTES + SIGNATURE_BYTES;

/** A signed entry's hex hash and base64url signature as wire bytes; RangeError if malformed. */
export function signedHashBytes(
  sha256Hex: string,
  signatureBase64Url: string,
): { sha256: Uint8Array; signature: Uint8Array } {
  const sha256 = fromHex(sha256Hex);
  const signature = fromBase64Url(signatureBase64Url);
  if (sha256?.byteLength !== SHA256_BYTES) throw new RangeError('sha256 is not 32 bytes of hex');
  if (signature?.byteLength !== SIGNATURE_BYTES)
    throw new RangeError('signature is not 64 bytes of base64url');
  return { sha256, signature };
}

/** Read a signed entry's hash and signature back to hex and base64url; null if truncated. */
export function readSignedHash(reader: Reader): { sha256: string; signature: string } | null {
  const sha256 = reader.raw(SHA256_BYTES);
  const signature = reader.raw(SIGNATURE_BYTES);
  if (sha256 === null || signature === null) return null;
  return { sha256: toHex(sha256), signature: toBase64Url(signature) };
}
