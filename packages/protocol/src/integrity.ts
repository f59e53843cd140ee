import { asciiBytes, fromBase64Url, fromHex, toBase64Url, toHex } from './bytes.js';
import type { CryptoKeyLike, SubtleCryptoLike } from './crypto.js';
import type {
  InitEntry,
  LivePartEntry,
  LiveSegmentEntry,
  SegmentEntry,
  SignedPartHash,
  SignedSegmentHash,
  UnsignedVodManifest,
  VodManifest,
} from './integrity-schemas.js';
import { err, ok, type Result } from './result.js';

/**
 * Signed integrity manifests. The origin publishes one per rendition beside its playlist, at
 * `<rendition>/integrity.json` (see `integrityManifestUrl`), and signs with its Ed25519 key:
 *
 *  - VOD: one signature over the whole list, checked once by the player.
 *  - live: each segment entry carries its own signature, made when ffmpeg publishes the
 *    segment; the manifest is the current window of signed entries, so a player verifies each
 *    new entry once as it appears.
 *
 * What is signed is a canonical ASCII text (never JSON, whose spelling is not unique):
 *
 *   VOD:      "coral-integrity/1\nvod\n<streamId>\n<rendition>\ninit <sha256|-> <size>\n"
 *             followed by "<sequence> <sha256> <size>\n" per segment, ascending
 *   live seg: "coral-segment/1\n<streamId>\n<rendition>\n<sequence>\n<sha256>\n<size>\n"
 *   live init:"coral-init/1\n<streamId>\n<rendition>\n<sha256>\n<size>\n"
 *   LL part:  "coral-part/1\n<streamId>\n<rendition>\n<sequence>\n<part>\n<sha256>\n<size>\n"
 *
 * A low-latency (LL-HLS) live manifest also lists `parts`: each partial segment of the window
 * signed as it is published, so a peer's part can be checked before the whole segment exists.
 *
 * Hashes are lowercase hex SHA-256; keys and signatures are base64url (no padding); a public
 * key is the raw 32-byte Ed25519 key, as in a JWK's `x`.
 */

export const INTEGRITY_MANIFEST_FILE = 'integrity.json';

/** The manifest of a rendition whose media playlist is at `playlistUrl`. */
export function integrityManifestUrl(playlistUrl: string): string {
  const query = playlistUrl.indexOf('?');
  const path = query < 0 ? playlistUrl : playlistUrl.slice(0, query);
  return path.slice(0, path.lastIndexOf('/') + 1) + INTEGRITY_MANIFEST_FILE;
}

export function canonicalVodBytes(manifest: UnsignedVodManifest): Uint8Array {
  const init = manifest.init ? `${manifest.init.sha256} ${manifest.init.sizeBytes}` : '- 0';
  const lines = [
    'coral-integrity/1',
    'vod',
    manifest.streamId,
    manifest.rendition,
    `init ${init}`,
    ...[...manifest.segments]
      .sort((a, b) => a.sequence - b.sequence)
      .map((s) => `${s.sequence} ${s.sha256} ${s.sizeBytes}`),
  ];
  return asciiBytes(lines.join('\n') + '\n');
}

export function canonicalLiveSegmentBytes(
  streamId: string,
  rendition: string,
  entry: Pick<SegmentEntry, 'sequence' | 'sha256' | 'sizeBytes'>,
): Uint8Array {
  return asciiBytes(
    `coral-segment/1\n${streamId}\n${rendition}\n${entry.sequence}\n${entry.sha256}\n${entry.sizeBytes}\n`,
  );
}

export function canonicalLiveInitBytes(
  streamId: string,
  rendition: string,
  init: Pick<InitEntry, 'sha256' | 'sizeBytes'>,
): Uint8Array {
  return asciiBytes(`coral-init/1\n${streamId}\n${rendition}\n${init.sha256}\n${init.sizeBytes}\n`);
}

export function canonicalLivePartBytes(
  streamId: string,
  rendition: string,
  entry: Pick<LivePartEntry, 'sequence' | 'part' | 'sha256' | 'sizeBytes'>,
): Uint8Array {
  return asciiBytes(
    `coral-part/1\n${streamId}\n${rendition}\n${entry.sequence}\n${entry.part}\n${entry.sha256}\n${entry.sizeBytes}\n`,
  );
}

export async function sha256Hex(subtle: SubtleCryptoLike, bytes: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await subtle.digest('SHA-256', bytes)));
}

/** Import a base64url raw Ed25519 public key (the playback API's `publicKey`). */
export async function importIntegrityPublicKey(
  subtle: SubtleCryptoLike,
  publicKeyBase64Url: string,
): Promise<Result<CryptoKeyLike>> {
  const raw = fromBase64Url(publicKeyBase64Url);
  if (raw === null || raw.byteLength !== 32) {
    return err('bad_value', 'public key must be 32 bytes of base64url');
  }
  try {
    return ok(await subtle.importKey('raw', raw, { name: 'Ed25519' }, true, ['verify']));
  } catch (_error) {
    return err('bad_value', 'public key was refused by WebCrypto');
  }
}

export async function signBytes(
  subtle: SubtleCryptoLike,
  privateKey: CryptoKeyLike,
  data: Uint8Array,
): Promise<string> {
  return toBase64Url(new Uint8Array(await subtle.sign({ name: 'Ed25519' }, privateKey, data)));
}

async function verifyBytes(
  subtle: SubtleCryptoLike,
  publicKey: CryptoKeyLike,
  signature: string,
  data: Uint8Array,
): Promise<boolean> {
  const raw = fromBase64Url(signature);
  if (raw === null || raw.byteLength !== 64) return false;
  try {
    return await subtle.verify({ name: 'Ed25519' }, publicKey, raw, data);
  } catch (_error) {
    return false;
  }
}

/** The value when its signature checked out, else `bad_signature` naming `what`. */
function signed<T>(valid: boolean, value: T, what: string): Result<T> {
  return valid ? ok(value) : err('bad_signature', `${what} signature is invalid`);
}

export async function signVodManifest(
  subtle: SubtleCryptoLike,
  privateKey: CryptoKeyLike,
  manifest: UnsignedVodManifest,
): Promise<VodManifest> {
  return {
    ...manifest,
    signature: await signBytes(subtle, privateKey, canonicalVodBytes(manifest)),
  };
}

export async function verifyVodManifest(
  subtle: SubtleCryptoLike,
  publicKey: CryptoKeyLike,
  manifest: VodManifest,
): Promise<Result<VodManifest>> {
  return signed(
    await verifyBytes(subtle, publicKey, manifest.signature, canonicalVodBytes(manifest)),
    manifest,
    `VOD manifest ${manifest.streamId}/${manifest.rendition}`,
  );
}

export async function signLiveSegment(
  subtle: SubtleCryptoLike,
  privateKey: CryptoKeyLike,
  streamId: string,
  rendition: string,
  entry: SegmentEntry,
): Promise<LiveSegmentEntry> {
  const signature = await signBytes(
    subtle,
    privateKey,
    canonicalLiveSegmentBytes(streamId, rendition, entry),
  );
  return { ...entry, signature };
}

export async function signLiveInit(
  subtle: SubtleCryptoLike,
  privateKey: CryptoKeyLike,
  streamId: string,
  rendition: string,
  init: InitEntry,
): Promise<InitEntry & { signature: string }> {
  const signature = await signBytes(
    subtle,
    privateKey,
    canonicalLiveInitBytes(streamId, rendition, init),
  );
  return { ...init, signature };
}

export async function verifyLiveSegment<T extends SignedSegmentHash>(
  subtle: SubtleCryptoLike,
  publicKey: CryptoKeyLike,
  streamId: string,
  rendition: string,
  entry: T,
): Promise<Result<T>> {
  const bytes = canonicalLiveSegmentBytes(streamId, rendition, entry);
  return signed(
    await verifyBytes(subtle, publicKey, entry.signature, bytes),
    entry,
    `live segment ${streamId}/${rendition}/${entry.sequence}`,
  );
}

/** Check that bytes match an expected lowercase hex SHA-256. */
export async function checkSha256(
  subtle: SubtleCryptoLike,
  bytes: Uint8Array,
  expectedSha256Hex: string,
): Promise<Result<Uint8Array>> {
  if (fromHex(expectedSha256Hex)?.byteLength !== 32)
    return err('bad_value', 'expected hash is not SHA-256 hex');
  const actual = await sha256Hex(subtle, bytes);
  return actual === expectedSha256Hex
    ? ok(bytes)
    : err('hash_mismatch', `sha256 ${actual} does not match ${expectedSha256Hex}`);
}

export async function verifyLiveInit(
  subtle: SubtleCryptoLike,
  publicKey: CryptoKeyLike,
  streamId: string,
  rendition: string,
  init: InitEntry & { signature: string },
): Promise<Result<InitEntry>> {
  const bytes = canonicalLiveInitBytes(streamId, rendition, init);
  return signed(
    await verifyBytes(subtle, publicKey, init.signature, bytes),
    init,
    `live init ${streamId}/${rendition}`,
  );
}

export async function signLivePart(
  subtle: SubtleCryptoLike,
  privateKey: CryptoKeyLike,
  streamId: string,
  rendition: string,
  entry: Omit<LivePartEntry, 'signature'>,
): Promise<LivePartEntry> {
  const signature = await signBytes(
    subtle,
    privateKey,
    canonicalLivePartBytes(streamId, rendition, entry),
  );
  return { ...entry, signature };
}

export async function verifyLivePart<T extends SignedPartHash>(
  subtle: SubtleCryptoLike,
  publicKey: CryptoKeyLike,
  streamId: string,
  rendition: string,
  entry: T,
): Promise<Result<T>> {
  const bytes = canonicalLivePartBytes(streamId, rendition, entry);
  return signed(
    await verifyBytes(subtle, publicKey, entry.signature, bytes),
    entry,
    `live part ${streamId}/${rendition}/${entry.sequence}.${entry.part}`,
  );
}
