import { EngineError } from './errors.js';
import type { IntegrityRegistry } from './integrity.js';
import type { EnginePlatform, TimerId } from './platform.js';
import type { LogFn } from './peer-transfer.js';
import { segmentKey } from './segment-key.js';
import type { SegmentStore } from './segment-store.js';

/** A CDN segment whose signed hash was not known is checked again this often (× attempt). */
export const BACKGROUND_VERIFY_RETRY_MS = 5_000;
export const BACKGROUND_VERIFY_ATTEMPTS = 4;
/**
 * Live, with peers and a manifest that answers, much sooner: the playlist and the manifest are
 * cached apart (at an edge, each for up to a second), so a fetcher can see a segment before the
 * manifest that signs it, and its peers wait for its HAVE, which comes only once the copy is
 * verified. Every 250 ms (the manifest's own refetch limit) for 4 s: after that the segment is
 * of little use to peers anyway.
 */
export const LIVE_VERIFY_RETRY_MS = 250;
export const LIVE_VERIFY_ATTEMPTS = 16;

export interface BackgroundVerifierDeps {
  platform: EnginePlatform;
  integrity: IntegrityRegistry;
  store: SegmentStore;
  /** Peers connected now (a live retry soon helps only with someone to share with). */
  connectedPeers: () => number;
  log: LogFn;
}

interface Segment {
  rendition: string;
  sequence: number;
}

/**
 * Checks CDN bytes against the signed hash after the player has them, and marks them shareable
 * when they pass; retries while the hash is not signed yet and the bytes are still held.
 */
export class BackgroundVerifier {
  private readonly timers = new Set<TimerId>();
  private destroyed = false;

  constructor(private readonly deps: BackgroundVerifierDeps) {}

  verify(info: Segment, bytes: Uint8Array, attempt = 0): void {
    const { integrity, store, platform } = this.deps;
    if (this.destroyed) return;
    integrity.verify(info.rendition, info.sequence, bytes).then(
      () => {
        if (!this.destroyed) store.markVerified(info.rendition, info.sequence, bytes);
      },
      (error: unknown) => {
        const code = error instanceof EngineError ? error.code : 'integrity';
        const stillHeld = store.peek(info.rendition, info.sequence)?.bytes === bytes;
        // Soon only when it can help: live, the manifest answering (just without this entry
        // yet) and peers to share with. An unreachable manifest is not asked 4 times a second
        // by every viewer holding a CDN copy.
        const soon =
          integrity.liveManifestAnswering(info.rendition) &&
          this.deps.connectedPeers() > 0 &&
          attempt < LIVE_VERIFY_ATTEMPTS;
        // Not signed yet (or the manifest is unreachable): try again while it is held.
        if (
          code === 'no_integrity_info' &&
          stillHeld &&
          (soon || attempt < BACKGROUND_VERIFY_ATTEMPTS)
        ) {
          if (this.destroyed) return;
          const timer = platform.clock.setTimeout(
            () => {
              this.timers.delete(timer);
              this.verify(info, bytes, attempt + 1);
            },
            soon ? LIVE_VERIFY_RETRY_MS : BACKGROUND_VERIFY_RETRY_MS * (attempt + 1),
          );
          this.timers.add(timer);
          return;
        }
        this.logUnshared(segmentKey(info.rendition, info.sequence), code, error);
      },
    );
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const timer of this.timers) this.deps.platform.clock.clearTimeout(timer);
    this.timers.clear();
  }

  /** CDN bytes that failed (or never got) their check: the player has them; peers do not. */
  private logUnshared(segment: string, code: string, error: unknown): void {
    this.deps.log(
      code === 'integrity' ? 'warn' : 'debug',
      code === 'integrity'
        ? 'CDN bytes do not match the signed hash: played, not shared'
        : 'CDN segment not verified: played, not shared',
      { segment, error: error instanceof Error ? error.message : String(error) },
    );
  }
}
