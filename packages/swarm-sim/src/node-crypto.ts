import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import type { CryptoKeyLike, SubtleCryptoLike } from '@coral-cdn/protocol';

interface NodeKey extends CryptoKeyLike {
  keyObject: KeyObject;
}

/** Counts of the crypto the engines asked for (cost figures). */
export interface CryptoCounters {
  digests: number;
  verifies: number;
  verifyCacheHits: number;
}

/**
 * Real SHA-256 and Ed25519 through node:crypto's synchronous calls behind the WebCrypto-shaped
 * interface (already-settled promises keep the simulation deterministic). Every viewer checks
 * the same signatures over the same bytes: a verification is computed once and its answer
 * reused for identical (key, signature, data), which is the same answer at a fraction of the
 * cost. Digests are always computed (segment payloads are small in the simulation).
 */
export function createSimSubtle(counters: CryptoCounters): SubtleCryptoLike {
  const verified = new Map<string, boolean>();
  return {
    digest: (_algorithm, data) => {
      counters.digests++;
      return Promise.resolve(toArrayBuffer(createHash('sha256').update(data).digest()));
    },
    importKey: (_format, keyData) => {
      const keyObject = createPublicKey({
        key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(keyData).toString('base64url') },
        format: 'jwk',
      });
      return Promise.resolve({ type: 'public', keyObject } as NodeKey);
    },
    sign: (_algorithm, key, data) =>
      Promise.resolve(toArrayBuffer(sign(null, data, (key as NodeKey).keyObject))),
    verify: (_algorithm, key, signature, data) => {
      counters.verifies++;
      const cacheKey =
        Buffer.from(signature).toString('base64') +
        createHash('sha1').update(data).digest('base64');
      const known = verified.get(cacheKey);
      if (known !== undefined) {
        counters.verifyCacheHits++;
        return Promise.resolve(known);
      }
      const result = verify(null, data, (key as NodeKey).keyObject, signature);
      if (verified.size > 100_000) verified.clear();
      verified.set(cacheKey, result);
      return Promise.resolve(result);
    },
  };
}

/** A fresh signing key pair for the simulated origin. */
export function createSigningKey(): { privateKey: CryptoKeyLike; publicKeyBase64Url: string } {
  const keys = generateKeyPairSync('ed25519');
  return {
    privateKey: { type: 'private', keyObject: keys.privateKey } as NodeKey,
    publicKeyBase64Url: keys.publicKey.export({ format: 'jwk' }).x!,
  };
}

function toArrayBuffer(buffer: Buffer): ArrayBuffer {
  return buffer.buffer.slice(
    buffer.byteOffset,
    buffer.byteOffset + buffer.byteLength,
  ) as ArrayBuffer;
}
