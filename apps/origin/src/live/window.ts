import {
  INTEGRITY_MANIFEST_VERSION,
  type InitEntry,
  type LiveManifest,
  type LiveSegmentEntry,
} from '@coral-cdn/protocol';
import { renderMediaPlaylist } from '../hls/playlist.js';

export interface LiveEntry extends LiveSegmentEntry {
  readonly programDateTime?: string;
}

/**
 * One live rendition's published window: the signed entries the origin's playlist and
 * integrity manifest list. Both are rendered from this one list, so a player never sees a
 * segment in the playlist whose signed hash is not in the manifest.
 */
export class LiveWindow {
  private initEntry: (InitEntry & { signature: string }) | null = null;
  private list: LiveEntry[] = [];

  constructor(
    readonly streamId: string,
    readonly rendition: string,
    private readonly windowSegments: number,
  ) {}

  get init(): (InitEntry & { signature: string }) | null {
    return this.initEntry;
  }

  get entries(): readonly LiveEntry[] {
    return this.list;
  }

  get lastSequence(): number | null {
    return this.list.at(-1)?.sequence ?? null;
  }

  setInit(init: InitEntry & { signature: string }): void {
    this.initEntry = init;
  }

  /** Forget every entry (a new ffmpeg run starts a new window). Returns the dropped ones. */
  reset(): LiveEntry[] {
    const dropped = this.list;
    this.list = [];
    return dropped;
  }

  /** Append a newly published entry and slide; returns the entries that left the window. */
  push(entry: LiveEntry): LiveEntry[] {
    const last = this.lastSequence;
    if (last !== null && entry.sequence <= last) {
      throw new Error(`live sequence went backwards: ${entry.sequence} after ${last}`);
    }
    this.list.push(entry);
    const excess = this.list.length - this.windowSegments;
    return excess > 0 ? this.list.splice(0, excess) : [];
  }

  manifest(): LiveManifest {
    return {
      v: INTEGRITY_MANIFEST_VERSION,
      kind: 'live',
      streamId: this.streamId,
      rendition: this.rendition,
      init: this.initEntry,
      segments: this.list.map(({ sequence, uri, sha256, sizeBytes, durationSec, signature }) => ({
        sequence,
        uri,
        sha256,
        sizeBytes,
        durationSec,
        signature,
      })),
    };
  }

  playlist(options: { ended: boolean; segmentSec: number }): string | null {
    const first = this.list[0];
    if (!first || !this.initEntry) return null;
    return renderMediaPlaylist({
      kind: 'live',
      mediaSequence: first.sequence,
      mapUri: this.initEntry.uri,
      segments: this.list,
      endList: options.ended,
      minTargetDurationSec: options.segmentSec,
    });
  }
}
