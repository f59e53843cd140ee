import {
  checkSha256,
  decodeIntegrityManifest,
  importIntegrityPublicKey,
  integrityManifestUrl,
  verifyLiveSegment,
  verifyVodManifest,
  type CryptoKeyLike,
  type SegmentEntry,
  type SignedSegmentHash,
  type SubtleCryptoLike,
} from '@coral-cdn/protocol';
import { EngineError } from './errors.js';
import type { Clock, HttpClient } from './platform.js';
import type { StartupHold } from './startup-hold.js';
import { bytesToText } from './text.js';

/** A segment's checked hash; a live one keeps its own signature, to pass on to peers. */
export type KnownHash = Pick<SegmentEntry, 'sequence' | 'sha256' | 'sizeBytes'> & {
  signature: string | null;
};

/** What `acceptSigned` did with a peer's signed entry. */
export type SignedEntryOutcome = 'added' | 'known' | 'ignored' | 'forged';

interface RenditionIntegrity {
  manifestUrl: string;
  kind: 'vod' | 'live' | null;
  /** Entries whose signature has been checked, by sequence. */
  entries: Map<number, KnownHash>;
  inFlight: Promise<void> | null;
  lastFetchAtMs: number;
  /** Completed fetches (successful or not). */
  attempts: number;
  /** The last completed fetch returned a manifest of this stream and rendition. */
  lastFetchAnswered: boolean;
}

/** A VOD manifest that could not be fetched or verified is tried again after this long. */
const VOD_RETRY_MS = 10_000;

/** Most live entries remembered per rendition (a live window is far smaller). */
const MAX_LIVE_ENTRIES = 512;

/**
 * The signed SHA-256 of every segment, fetched over the CDN path beside each media playlist
 * and checked against the origin's Ed25519 key: a VOD manifest's one signature once, each live
 * entry's signature once as it appears. A live entry may also come from a peer (a SIGNED
 * frame): its signature is checked the same way, so a peer can spare the CDN a manifest fetch
 * but never vouch for bytes itself. Peer bytes are only ever compared with these hashes.
 */
export class IntegrityRegistry {
  private key: Promise<CryptoKeyLike> | null = null;
  private readonly renditions = new Map<string, RenditionIntegrity>();
  /** Manifest fetches wait for the end of the start-up hold. */
  private readonly released: Promise<void>;
  private destroyed = false;

  constructor(
    private readonly subtle: SubtleCryptoLike,
    private readonly http: HttpClient,
    private readonly clock: Clock,
    private readonly publicKeyBase64Url: string,
    private readonly streamId: string,
    hold: StartupHold,
    /** Live manifests are refetched at most this often while an entry is missing. */
    private readonly minRefetchMs = 250,
  ) {
    this.released = new Promise((resolve) => hold.whenReleased(resolve));
  }

  /** Register the media playlist URL of a rendition (its manifest sits beside it). */
  setPlaylistUrl(rendition: string, playlistUrl: string): void {
    const manifestUrl = integrityManifestUrl(playlistUrl);
    const existing = this.renditions.get(rendition);
    if (existing && existing.manifestUrl === manifestUrl) return;
    this.renditions.set(rendition, {
      manifestUrl,
      kind: null,
      entries: new Map(),
      inFlight: null,
      lastFetchAtMs: -Infinity,
      attempts: 0,
      lastFetchAnswered: false,
    });
  }

  /** The signed entry for a segment, if already known (no I/O). */
  known(rendition: string, sequence: number): KnownHash | undefined {
    return this.renditions.get(rendition)?.entries.get(sequence);
  }

  /** A live segment's checked entry with its signature, to send to peers (no I/O). */
  signed(rendition: string, sequence: number): SignedSegmentHash | undefined {
    const entry = this.known(rendition, sequence);
    return entry?.signature ? { ...entry, signature: entry.signature } : undefined;
  }

  /**
   * A live entry a peer sent: kept once its signature checks out against the stream's key
   * (`forged` when it does not: the peer made it up or took it from another stream). Ignored
   * for a rendition this viewer does not play, for a VOD stream (one signature covers its
   * whole list) and for a sequence older than the entries kept.
   */
  async acceptSigned(rendition: string, hash: SignedSegmentHash): Promise<SignedEntryOutcome> {
    const state = this.renditions.get(rendition);
    if (!state || this.destroyed || state.kind === 'vod') return 'ignored';
    if (state.entries.has(hash.sequence)) return 'known';
    if (state.entries.size >= MAX_LIVE_ENTRIES && hash.sequence < Math.min(...state.entries.keys()))
      return 'ignored';
    const verified = await verifyLiveSegment(
      this.subtle,
      await this.publicKey(),
      this.streamId,
      rendition,
      hash,
    );
    if (!verified.ok) return 'forged';
    if (this.destroyed || state.entries.has(hash.sequence)) return 'known';
    state.kind = 'live';
    this.addLive(state, hash);
    return 'added';
  }

  /**
   * The signed entry for a segment, fetching (or, for live, refetching) the manifest if needed.
   * Resolves undefined when the origin has not signed it (yet).
   */
  async entry(rendition: string, sequence: number): Promise<KnownHash | undefined> {
    const state = this.renditions.get(rendition);
    if (!state) return undefined;
    const cached = state.entries.get(sequence);
    if (cached) return cached;
    if (!this.mayStillSign(rendition)) return undefined;
    if (!state.inFlight && this.clock.now() - state.lastFetchAtMs < this.minRefetchMs) {
      await new Promise<void>((resolve) =>
        this.clock.setTimeout(
          resolve,
          this.minRefetchMs - (this.clock.now() - state.lastFetchAtMs),
        ),
      );
      if (state.entries.has(sequence)) return state.entries.get(sequence);
    }
    await this.refresh(rendition);
    return state.entries.get(sequence);
  }

  /** Fetch the rendition's manifest now (deduplicated), verifying what is new. */
  refresh(rendition: string): Promise<void> {
    const state = this.renditions.get(rendition);
    if (!state || this.destroyed) return Promise.resolve();
    if (state.kind === 'vod' && state.entries.size > 0) return Promise.resolve();
    if (!state.inFlight) {
      state.lastFetchAtMs = this.clock.now();
      state.inFlight = this.fetchAndVerify(rendition, state).finally(() => {
        state.inFlight = null;
        state.attempts++;
      });
    }
    return state.inFlight;
  }

  /**
   * Could a fetch still produce hashes for this rendition? A live manifest grows as segments
   * are published; a VOD manifest is complete once fetched, and one that failed to fetch or to
   * verify is retried only after `VOD_RETRY_MS`.
   */
  mayStillSign(rendition: string): boolean {
    const state = this.renditions.get(rendition);
    if (!state || this.destroyed) return false;
    if (state.kind === 'live' || state.inFlight) return true;
    if (state.kind === 'vod') return false;
    return state.attempts === 0 || this.clock.now() - state.lastFetchAtMs >= VOD_RETRY_MS;
  }

  /**
   * Live, and the last manifest fetch returned this rendition's manifest: an entry missing from
   * it is not signed yet, or a cache served an older copy, so asking again soon can help.
   * False while the manifest is unreachable or refused: asking again soon only adds load.
   */
  liveManifestAnswering(rendition: string): boolean {
    const state = this.renditions.get(rendition);
    return state?.kind === 'live' && state.lastFetchAnswered;
  }

  /** Check bytes against the signed hash. Throws EngineError('integrity' | 'no_integrity_info'). */
  async verify(rendition: string, sequence: number, bytes: Uint8Array): Promise<void> {
    const entry = await this.entry(rendition, sequence);
    if (!entry) {
      throw new EngineError('no_integrity_info', `no signed hash for ${rendition}/${sequence}`);
    }
    if (entry.sizeBytes !== bytes.byteLength) {
      throw new EngineError(
        'integrity',
        `${rendition}/${sequence}: ${bytes.byteLength} bytes, signed size ${entry.sizeBytes}`,
      );
    }
    const result = await checkSha256(this.subtle, bytes, entry.sha256);
    if (!result.ok)
      throw new EngineError('integrity', `${rendition}/${sequence}: ${result.error.message}`);
  }

  destroy(): void {
    this.destroyed = true;
    this.renditions.clear();
  }

  private publicKey(): Promise<CryptoKeyLike> {
    this.key ??= importIntegrityPublicKey(this.subtle, this.publicKeyBase64Url).then((result) => {
      if (!result.ok)
        throw new EngineError('config', `integrity public key: ${result.error.message}`);
      return result.value;
    });
    return this.key;
  }

  private async fetchAndVerify(rendition: string, state: RenditionIntegrity): Promise<void> {
    // Nothing needs a hash before the first frame (no peer is connected), and the manifest
    // (a long VOD's is hundreds of KB) must not compete with the start-up segments.
    await this.released;
    if (this.destroyed) return;
    state.lastFetchAnswered = false;
    let text: string;
    try {
      const response = await this.http.get({ url: state.manifestUrl }).promise;
      text = bytesToText(response.bytes);
    } catch (_error) {
      return; // Unreachable manifest: segments stay unverifiable, so they come over HTTP.
    }
    const decoded = decodeIntegrityManifest(text);
    if (!decoded.ok) return;
    const manifest = decoded.value;
    // A validly signed manifest of another stream or rendition must not vouch for this one.
    if (manifest.streamId !== this.streamId || manifest.rendition !== rendition) return;
    const key = await this.publicKey();
    if (manifest.kind === 'vod') {
      const verified = await verifyVodManifest(this.subtle, key, manifest);
      if (!verified.ok) return;
      state.kind = 'vod';
      for (const { sequence, sha256, sizeBytes } of manifest.segments)
        state.entries.set(sequence, { sequence, sha256, sizeBytes, signature: null });
      return;
    }
    state.kind = 'live';
    state.lastFetchAnswered = true;
    for (const segment of manifest.segments) {
      if (state.entries.has(segment.sequence)) continue;
      const verified = await verifyLiveSegment(
        this.subtle,
        key,
        manifest.streamId,
        manifest.rendition,
        segment,
      );
      if (verified.ok) this.addLive(state, segment);
    }
  }

  private addLive(state: RenditionIntegrity, hash: SignedSegmentHash): void {
    const { sequence, sha256, sizeBytes, signature } = hash;
    state.entries.set(sequence, { sequence, sha256, sizeBytes, signature });
    if (state.entries.size > MAX_LIVE_ENTRIES) {
      const sorted = [...state.entries.keys()].sort((a, b) => a - b);
      for (const old of sorted.slice(0, sorted.length - MAX_LIVE_ENTRIES))
        state.entries.delete(old);
    }
  }
}
