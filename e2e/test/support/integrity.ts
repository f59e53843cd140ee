import { webcrypto } from 'node:crypto';
import {
  decodeIntegrityManifest,
  importIntegrityPublicKey,
  playbackInfoSchema,
  verifyLiveSegment,
  verifyVodManifest,
  type CryptoKeyLike,
  type PlaybackInfo,
  type SegmentEntry,
} from '@coral-cdn/protocol';

/**
 * The origin's signed segment hashes, fetched over the CDN path and checked here in Node with
 * the origin's public key, independently of the engine under test.
 */
export async function playbackInfo(originUrl: string, id: string): Promise<PlaybackInfo> {
  return playbackInfoSchema.parse(await (await fetch(`${originUrl}/api/playback/${id}`)).json());
}

function manifestUrl(playback: PlaybackInfo, rendition: string): string {
  const base = playback.manifestUrl.slice(0, playback.manifestUrl.lastIndexOf('/') + 1);
  return `${base}${rendition}/integrity.json`;
}

async function publicKey(playback: PlaybackInfo): Promise<CryptoKeyLike> {
  const key = await importIntegrityPublicKey(webcrypto.subtle, playback.publicKey);
  if (!key.ok) throw new Error(`public key: ${key.error.message}`);
  return key.value;
}

/** A VOD rendition's entries, once its one signature is verified. */
export async function verifiedVodEntries(
  originUrl: string,
  id: string,
  rendition: string,
): Promise<Map<number, SegmentEntry>> {
  const playback = await playbackInfo(originUrl, id);
  const decoded = decodeIntegrityManifest(
    await (await fetch(manifestUrl(playback, rendition))).text(),
  );
  if (!decoded.ok) throw new Error(`integrity manifest: ${decoded.error.message}`);
  if (decoded.value.kind !== 'vod') throw new Error('expected a VOD manifest');
  const verified = await verifyVodManifest(
    webcrypto.subtle,
    await publicKey(playback),
    decoded.value,
  );
  if (!verified.ok) throw new Error(`manifest signature: ${verified.error.message}`);
  return new Map(verified.value.segments.map((entry) => [entry.sequence, entry]));
}

/**
 * A live rendition's manifest is a sliding window: poll it and keep every entry whose own
 * signature verifies, so that segments gone from the window can still be checked.
 */
export class LiveEntryCollector {
  readonly entries = new Map<number, SegmentEntry>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private key: CryptoKeyLike | null = null;
  private playback: PlaybackInfo | null = null;
  badSignatures = 0;

  constructor(
    private readonly originUrl: string,
    private readonly id: string,
    private readonly rendition: string,
  ) {}

  async start(intervalMs = 1_000): Promise<void> {
    this.playback = await playbackInfo(this.originUrl, this.id);
    this.key = await publicKey(this.playback);
    await this.poll();
    this.timer = setInterval(() => void this.poll().catch(() => undefined), intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async poll(): Promise<void> {
    if (!this.playback || !this.key) return;
    const response = await fetch(manifestUrl(this.playback, this.rendition), { cache: 'no-store' });
    if (!response.ok) return;
    const decoded = decodeIntegrityManifest(await response.text());
    if (!decoded.ok || decoded.value.kind !== 'live') return;
    for (const entry of decoded.value.segments) {
      if (this.entries.has(entry.sequence)) continue;
      const verified = await verifyLiveSegment(
        webcrypto.subtle,
        this.key,
        decoded.value.streamId,
        this.rendition,
        entry,
      );
      if (verified.ok) this.entries.set(entry.sequence, entry);
      else this.badSignatures++;
    }
  }
}
