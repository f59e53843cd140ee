/**
 * The slice of WebCrypto's SubtleCrypto that Coral uses. Browsers and Node (>= 20) both provide
 * it as `globalThis.crypto.subtle`; platform-free code receives it as a parameter.
 */
export interface CryptoKeyLike {
  readonly type: string;
}

export interface SubtleCryptoLike {
  digest(algorithm: 'SHA-256', data: Uint8Array): Promise<ArrayBuffer>;
  importKey(
    format: 'raw',
    keyData: Uint8Array,
    algorithm: { name: 'Ed25519' },
    extractable: boolean,
    usages: ['verify'],
  ): Promise<CryptoKeyLike>;
  sign(algorithm: { name: 'Ed25519' }, key: CryptoKeyLike, data: Uint8Array): Promise<ArrayBuffer>;
  verify(
    algorithm: { name: 'Ed25519' },
    key: CryptoKeyLike,
    signature: Uint8Array,
    data: Uint8Array,
  ): Promise<boolean>;
}
