import {
  checkSha256,
  decodeIntegrityManifest,
  importIntegrityPublicKey,
  integrityManifestUrl,
  verifyLivePart,
  type CryptoKeyLike,
  type SignedPartHash,
  type SignedSegmentHash,
  type SubtleCryptoLike,
} from '@coral-cdn/protocol';
import { dropOldest } from './drop-oldest.js';
import { EngineError } from './errors.js';
import { partKey, type PartKey, type PartName } from './part-key.js';
import type { HttpClient } from './platform.js';
import { bytesToText } from './text.js';

/** Checked part entries remembered (a live window has a few dozen parts per rendition). */
const MAX_PART_ENTRIES = 512;

export type PartSignedOutcome = 'added' | 'known' | 'forged';

/**
 * The origin's signed `coral-part/1` entries of LL-HLS parts, each checked against its Ed25519
 * key once: from a peer's PART_SIGNED frame (so a waiter needs no manifest fetch), or from the
 * live integrity manifest, asked for with the part's blocking-reload parameters (what a
 * fetcher does, to pass the entry on with its announcement). Peer bytes of a part are only ever
 * compared with these entries.
 */
export class PartIntegrity {
  private key: Promise<CryptoKeyLike> | null = null;
  private readonly entries = new Map<PartKey, SignedPartHash>();
  private readonly inFlight = new Map<PartKey, Promise<SignedPartHash | undefined>>();
  private destroyed = false;

  constructor(
    private readonly subtle: SubtleCryptoLike,
    private readonly http: HttpClient,
    private readonly publicKeyBase64Url: string,
    private readonly streamId: string,
    /**
     * A fetched manifest's whole-segment entries from the asked part's segment on and the one
     * before it (the origin signs a segment as its next one starts), unchecked: the caller
     * checks them as it checks a peer's.
     */
    private readonly onSegmentEntries: (
      rendition: string,
      entries: readonly SignedSegmentHash[],
    ) => void = () => undefined,
  ) {}

  known(name: PartName): SignedPartHash | undefined {
    return this.entries.get(partKey(name));
  }

  /** A peer's PART_SIGNED entry: kept when its signature holds, `forged` when it does not. */
  async acceptSigned(rendition: string, hash: SignedPartHash): Promise<PartSignedOutcome> {
    const name = { rendition, sequence: hash.sequence, part: hash.part };
    if (this.known(name)) return 'known';
    const verified = await verifyLivePart(
      this.subtle,
      await this.publicKey(),
      this.streamId,
      rendition,
      hash,
    );
    if (!verified.ok) return 'forged';
    this.remember(name, hash);
    return 'added';
  }

  /**
   * The part's entry from the live manifest beside `playlistUrl`, held by the origin until the
   * part is published (the manifest takes the playlist's `_HLS_msn`/`_HLS_part`).
   */
  fetchFor(name: PartName, playlistUrl: string): Promise<SignedPartHash | undefined> {
    const known = this.known(name);
    if (known) return Promise.resolve(known);
    const key = partKey(name);
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.fetchManifest(name, playlistUrl).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  /** Throws EngineError('integrity') unless `bytes` are the part its checked entry names. */
  async check(name: PartName, bytes: Uint8Array): Promise<void> {
    const entry = this.known(name);
    const label = `${name.rendition}/${name.sequence}.${name.part}`;
    if (!entry) throw new EngineError('no_integrity_info', `${label}: no signed part entry`);
    if (bytes.byteLength !== entry.sizeBytes)
      throw new EngineError(
        'integrity',
        `${label}: ${bytes.byteLength} bytes, signed size ${entry.sizeBytes}`,
      );
    const result = await checkSha256(this.subtle, bytes, entry.sha256);
    if (!result.ok) throw new EngineError('integrity', `${label}: ${result.error.message}`);
  }

  destroy(): void {
    this.destroyed = true;
    this.entries.clear();
  }

  private async fetchManifest(
    name: PartName,
    playlistUrl: string,
  ): Promise<SignedPartHash | undefined> {
    const url = `${integrityManifestUrl(playlistUrl)}?_HLS_msn=${name.sequence}&_HLS_part=${name.part}`;
    let text: string;
    try {
      text = bytesToText((await this.http.get({ url }).promise).bytes);
    } catch (_error) {
      return undefined; // No entry: the part stays unshared, nothing worse.
    }
    const decoded = decodeIntegrityManifest(text);
    if (!decoded.ok || this.destroyed) return undefined;
    const manifest = decoded.value;
    if (manifest.kind !== 'live' || manifest.streamId !== this.streamId) return undefined;
    if (manifest.rendition !== name.rendition) return undefined;
    const recent = manifest.segments.filter((entry) => entry.sequence >= name.sequence - 1);
    if (recent.length > 0) this.onSegmentEntries(name.rendition, recent);
    const key = await this.publicKey();
    for (const entry of manifest.parts ?? []) {
      const entryName = { rendition: name.rendition, sequence: entry.sequence, part: entry.part };
      if (this.known(entryName)) continue;
      // Only the asked part and the few after it: older ones are no longer wanted.
      if (entry.sequence < name.sequence) continue;
      const verified = await verifyLivePart(this.subtle, key, this.streamId, name.rendition, entry);
      if (verified.ok) this.remember(entryName, entry);
    }
    return this.known(name);
  }

  private remember(name: PartName, hash: SignedPartHash): void {
    const { sequence, part, sha256, sizeBytes, signature } = hash;
    this.entries.set(partKey(name), { sequence, part, sha256, sizeBytes, signature });
    dropOldest(this.entries, MAX_PART_ENTRIES);
  }

  private publicKey(): Promise<CryptoKeyLike> {
    this.key ??= importIntegrityPublicKey(this.subtle, this.publicKeyBase64Url).then((result) => {
      if (!result.ok)
        throw new EngineError('config', `integrity public key: ${result.error.message}`);
      return result.value;
    });
    return this.key;
  }
}
