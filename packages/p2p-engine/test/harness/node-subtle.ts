import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { CryptoKeyLike, SubtleCryptoLike } from '@coral-cdn/protocol';

interface NodeKey extends CryptoKeyLike {
  keyObject: KeyObject;
}

/**
 * Real SHA-256 and Ed25519 through node:crypto's synchronous calls, behind the WebCrypto-shaped
 * interface: results arrive as already-settled promises, so fake-clock tests stay deterministic
 * (WebCrypto's own promises settle on the thread pool, outside the fake clock's control).
 */
export const nodeSubtle: SubtleCryptoLike = {
  digest: (_algorithm, data) =>
    Promise.resolve(toArrayBuffer(createHash('sha256').update(data).digest())),
  importKey: (_format, keyData) => {
    const keyObject = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(keyData).toString('base64url') },
      format: 'jwk',
    });
    return Promise.resolve({ type: 'public', keyObject } as NodeKey);
  },
  sign: (_algorithm, key, data) =>
    Promise.resolve(toArrayBuffer(sign(null, data, (key as NodeKey).keyObject))),
  verify: (_algorithm, key, signature, data) =>
    Promise.resolve(verify(null, data, (key as NodeKey).keyObject, signature)),
};

function toArrayBuffer(buffer: Buffer): ArrayBuffer {
  return buffer.buffer.slice(
    buffer.byteOffset,
    buffer.byteOffset + buffer.byteLength,
  ) as ArrayBuffer;
}

export function privateKeyLike(keyObject: KeyObject): CryptoKeyLike {
  return { type: 'private', keyObject } as NodeKey;
}
