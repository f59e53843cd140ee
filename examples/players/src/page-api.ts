import type { CoralStats, SegmentDelivery } from '@coral-cdn/hlsjs';
import type { PlaybackMode } from './playback-mode.js';

/** One fragment the engine handed to the player, with the SHA-256 of the bytes it got. */
interface SegmentRecord {
  rendition: string;
  sequence: number;
  source: SegmentDelivery['source'];
  cdnReason: SegmentDelivery['cdnReason'];
  fromStore: boolean;
  sizeBytes: number;
  sha256: string;
  deliveredAtMs: number;
  bufferedAheadSec: number | null;
  latencySec: null;
}

/**
 * `window.coral` on every example page, in the shape Coral's own player exposes, so the same
 * automation (e2e tests) and a curious viewer's console can read any of them.
 */
export interface ExamplePageApi {
  player: string;
  /** How this browser plays HLS here: through hls.js (`mse`, `mms`), natively, or not at all. */
  mode: PlaybackMode | null;
  ready: boolean;
  error: string | null;
  p2pEnabled: boolean;
  readonly stats: CoralStats | null;
  readonly playback: {
    state: string;
    positionSec: number;
    bufferedAheadSec: number;
    rendition: string | null;
    latencySec: null;
  };
  readonly segments: readonly SegmentRecord[];
  readonly logs: readonly string[];
}

const MAX_RECORDS = 500;

export class PageState {
  readonly api: ExamplePageApi;
  private stats: () => CoralStats | null = () => null;
  private positionSec: () => number = () => 0;
  private readonly segments: SegmentRecord[] = [];
  private readonly logs: string[] = [];

  constructor(player: string) {
    // Getters read the live objects at every access (the API outlives a source change).
    const stats = () => this.stats();
    const positionSec = () => this.positionSec();
    const { segments, logs } = this;
    this.api = {
      player,
      mode: null,
      ready: false,
      error: null,
      p2pEnabled: false,
      get stats() {
        return stats();
      },
      get playback() {
        const now = stats();
        return {
          state: now?.playbackState ?? 'detached',
          positionSec: positionSec(),
          bufferedAheadSec: now?.bufferedAheadSec ?? 0,
          rendition: now?.rendition ?? null,
          latencySec: null,
        };
      },
      get segments() {
        return segments;
      },
      get logs() {
        return logs;
      },
    };
    (window as unknown as { coral: ExamplePageApi }).coral = this.api;
  }

  /** Where the playhead and the Coral counters are read from. */
  watch(positionSec: () => number, stats: () => CoralStats | null): void {
    this.positionSec = positionSec;
    this.stats = stats;
  }

  readonly log = (level: string, message: string, fields?: Record<string, unknown>): void => {
    this.logs.push(
      `${new Date().toISOString()} ${level} ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}`,
    );
    if (this.logs.length > MAX_RECORDS) this.logs.splice(0, this.logs.length - MAX_RECORDS);
  };

  readonly recordSegment = (delivery: SegmentDelivery): void => {
    const deliveredAtMs = Date.now();
    const bufferedAheadSec = this.stats()?.bufferedAheadSec ?? null;
    void crypto.subtle
      .digest('SHA-256', delivery.bytes as Uint8Array<ArrayBuffer>)
      .then((digest) => {
        this.segments.push({
          rendition: delivery.rendition,
          sequence: delivery.sequence,
          source: delivery.source,
          cdnReason: delivery.cdnReason,
          fromStore: delivery.fromStore,
          sizeBytes: delivery.sizeBytes,
          sha256: [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join(''),
          deliveredAtMs,
          bufferedAheadSec,
          latencySec: null,
        });
        if (this.segments.length > MAX_RECORDS)
          this.segments.splice(0, this.segments.length - MAX_RECORDS);
      });
  };

  fail(error: unknown): void {
    this.api.error = error instanceof Error ? error.message : String(error);
    this.log('error', this.api.error);
    const status = document.getElementById('status');
    if (status) {
      status.textContent = this.api.error;
      status.classList.add('error');
    }
  }

  status(text: string): void {
    const status = document.getElementById('status');
    if (status) status.textContent = text;
  }
}
