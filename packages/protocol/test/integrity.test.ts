import { webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  canonicalVodBytes,
  checkSha256,
  decodeIntegrityManifest,
  importIntegrityPublicKey,
  integrityManifestUrl,
  sha256Hex,
  signLiveInit,
  signLivePart,
  signLiveSegment,
  signVodManifest,
  toBase64Url,
  verifyLiveInit,
  verifyLivePart,
  verifyLiveSegment,
  verifyVodManifest,
  type CryptoKeyLike,
  type SubtleCryptoLike,
  type UnsignedVodManifest,
} from '../src/index.js';

const subtle = webcrypto.subtle as unknown as SubtleCryptoLike;

async function keyPair(): Promise<{
  privateKey: CryptoKeyLike;
  publicKey: CryptoKeyLike;
  publicKeyText: string;
}> {
  const pair = (await webcrypto.subtle.generateKey({ name: 'Ed25519' }, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const raw = new Uint8Array(await webcrypto.subtle.exportKey('raw', pair.publicKey));
  const publicKeyText = toBase64Url(raw);
  const imported = await importIntegrityPublicKey(subtle, publicKeyText);
  if (!imported.ok) throw new Error(imported.error.message);
  return { privateKey: pair.privateKey, publicKey: imported.value, publicKeyText };
}

const segmentBytes = [new Uint8Array([1, 2, 3]), new Uint8Array([4, 5, 6, 7])];

async function unsignedManifest(): Promise<UnsignedVodManifest> {
  return {
    v: 1,
    kind: 'vod',
    streamId: 'demo',
    rendition: '240p',
    init: { uri: 'init.mp4', sha256: await sha256Hex(subtle, new Uint8Array([9])), sizeBytes: 1 },
    segments: await Promise.all(
      segmentBytes.map(async (bytes, sequence) => ({
        sequence,
        uri: `seg_${sequence}.m4s`,
        sha256: await sha256Hex(subtle, bytes),
        sizeBytes: bytes.byteLength,
        durationSec: 2,
      })),
    ),
  };
}

describe('integrity manifests', () => {
  it('hashes with SHA-256 (known vector)', async () => {
    expect(await sha256Hex(subtle, new TextEncoder().encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('canonical VOD bytes are stable (golden text)', async () => {
    const text = new TextDecoder().decode(canonicalVodBytes(await unsignedManifest()));
    expect(text).toBe(
      'coral-integrity/1\nvod\ndemo\n240p\n' +
        'init 2b4c342f5433ebe591a1da77e013d1b72475562d48578dca8b84bac6651c3cb9 1\n' +
        '0 039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81 3\n' +
        '1 c6d44cf418f610e3fe9e1d9294ff43def81c6cdcad6cbb1820cff48d3aa4355d 4\n',
    );
  });

  it('a signed VOD manifest verifies, survives JSON, and fails when anything signed changes', async () => {
    const { privateKey, publicKey } = await keyPair();
    const signed = await signVodManifest(subtle, privateKey, await unsignedManifest());
    const decoded = decodeIntegrityManifest(JSON.stringify(signed));
    if (!decoded.ok || decoded.value.kind !== 'vod') throw new Error('decode failed');
    expect((await verifyVodManifest(subtle, publicKey, decoded.value)).ok).toBe(true);

    const tamperedHash = structuredClone(signed);
    tamperedHash.segments[1]!.sha256 = '0'.repeat(64);
    expect(await verifyVodManifest(subtle, publicKey, tamperedHash)).toMatchObject({
      ok: false,
      error: { code: 'bad_signature' },
    });
    const renamed = { ...signed, streamId: 'other' };
    expect((await verifyVodManifest(subtle, publicKey, renamed)).ok).toBe(false);
    const otherKey = await keyPair();
    expect((await verifyVodManifest(subtle, otherKey.publicKey, signed)).ok).toBe(false);
  });

  it('a segment whose single byte changed no longer matches its signed hash', async () => {
    const manifest = await unsignedManifest();
    const good = segmentBytes[1]!;
    expect((await checkSha256(subtle, good, manifest.segments[1]!.sha256)).ok).toBe(true);
    const bad = good.slice();
    bad[2] = bad[2]! ^ 0x01;
    expect(await checkSha256(subtle, bad, manifest.segments[1]!.sha256)).toMatchObject({
      ok: false,
      error: { code: 'hash_mismatch' },
    });
  });

  it('LL parts are signed one by one, bound to their segment, index and rendition', async () => {
    const { privateKey, publicKey } = await keyPair();
    const bytes = new Uint8Array([5, 6, 7]);
    const part = await signLivePart(subtle, privateKey, 'demo', '240p', {
      sequence: 7,
      part: 2,
      uri: 'part_7_2.m4s',
      sha256: await sha256Hex(subtle, bytes),
      sizeBytes: 3,
      durationSec: 0.5,
      independent: false,
    });
    expect((await verifyLivePart(subtle, publicKey, 'demo', '240p', part)).ok).toBe(true);
    for (const forged of [
      { ...part, part: 3 },
      { ...part, sequence: 8 },
      { ...part, sizeBytes: 4 },
    ]) {
      expect((await verifyLivePart(subtle, publicKey, 'demo', '240p', forged)).ok).toBe(false);
    }
    expect((await verifyLivePart(subtle, publicKey, 'demo', '480p', part)).ok).toBe(false);
    // A part's signature never passes as its segment's (the canonical texts differ).
    expect(
      (await verifyLiveSegment(subtle, publicKey, 'demo', '240p', { ...part, part: undefined })).ok,
    ).toBe(false);
    const base = { v: 1, kind: 'live', streamId: 'demo', rendition: '240p', init: null };
    const withParts = decodeIntegrityManifest(
      JSON.stringify({ ...base, segments: [], parts: [part] }),
    );
    expect(withParts.ok && withParts.value.kind === 'live' && withParts.value.parts).toEqual([
      part,
    ]);
    // Manifests without parts (classic live) still decode.
    expect(decodeIntegrityManifest(JSON.stringify({ ...base, segments: [] })).ok).toBe(true);
    expect(
      decodeIntegrityManifest(
        JSON.stringify({ ...base, segments: [], parts: [{ ...part, independent: 'yes' }] }),
      ).ok,
    ).toBe(false);
  });

  it('live entries are signed one by one and verify on their own', async () => {
    const { privateKey, publicKey } = await keyPair();
    const manifest = await unsignedManifest();
    const entry = await signLiveSegment(subtle, privateKey, 'demo', '240p', manifest.segments[0]!);
    expect((await verifyLiveSegment(subtle, publicKey, 'demo', '240p', entry)).ok).toBe(true);
    expect((await verifyLiveSegment(subtle, publicKey, 'demo', '480p', entry)).ok).toBe(false);
    expect(
      (await verifyLiveSegment(subtle, publicKey, 'demo', '240p', { ...entry, sequence: 1 })).ok,
    ).toBe(false);
    const init = await signLiveInit(subtle, privateKey, 'demo', '240p', manifest.init!);
    expect((await verifyLiveInit(subtle, publicKey, 'demo', '240p', init)).ok).toBe(true);
    expect(
      (await verifyLiveInit(subtle, publicKey, 'demo', '240p', { ...init, sizeBytes: 2 })).ok,
    ).toBe(false);
    const live = {
      v: 1,
      kind: 'live',
      streamId: 'demo',
      rendition: '240p',
      init,
      segments: [entry],
    };
    expect(decodeIntegrityManifest(JSON.stringify(live)).ok).toBe(true);
  });

  it('rejects malformed keys, signatures and manifests with typed errors', async () => {
    expect(await importIntegrityPublicKey(subtle, 'short')).toMatchObject({
      ok: false,
      error: { code: 'bad_value' },
    });
    const { publicKey } = await keyPair();
    const signed = await signVodManifest(
      subtle,
      (await keyPair()).privateKey,
      await unsignedManifest(),
    );
    expect(
      (await verifyVodManifest(subtle, publicKey, { ...signed, signature: 'A'.repeat(86) })).ok,
    ).toBe(false);
    expect(decodeIntegrityManifest('nope')).toMatchObject({
      ok: false,
      error: { code: 'bad_json' },
    });
    expect(decodeIntegrityManifest('{"v":1,"kind":"vod"}')).toMatchObject({
      ok: false,
      error: { code: 'bad_message' },
    });
    expect(await checkSha256(subtle, new Uint8Array(), 'xyz')).toMatchObject({
      ok: false,
      error: { code: 'bad_value' },
    });
  });

  it('places the manifest beside the media playlist', () => {
    expect(integrityManifestUrl('http://edge:8081/vod/abc/240p/index.m3u8?token=1')).toBe(
      'http://edge:8081/vod/abc/240p/integrity.json',
    );
  });
});
