import type { webcrypto } from 'node:crypto';
import { createHash } from 'node:crypto';
import {
  INTEGRITY_MANIFEST_VERSION,
  signLiveInit,
  signLivePart,
  signLiveSegment,
  type InitEntry,
  type LiveManifest,
  type LivePartEntry,
  type LiveSegmentEntry,
} from '@coral-cdn/protocol';
import { subtle } from '../../integrity/hash.js';
import type { Fragment } from './boxes.js';
import type { PartPosition } from './blocking.js';

export interface LlPart {
  readonly entry: LivePartEntry;
  readonly bytes: Uint8Array;
}

export interface LlSegment {
  readonly sequence: number;
  readonly parts: LlPart[];
  /** Wall-clock time of the segment's first frame (approximate: publication − its duration). */
  readonly programDateTime: string;
  complete: { entry: LiveSegmentEntry; bytes: Uint8Array } | null;
}

export interface LlRenditionOptions {
  readonly streamId: string;
  readonly rendition: string;
  readonly windowSegments: number;
  readonly integrityKey: webcrypto.CryptoKey;
  readonly now?: () => number;
}

export const partUri = (sequence: number, part: number) => `part_${sequence}_${part}.m4s`;
export const segmentUri = (sequence: number) => `seg_${sequence}.m4s`;
export const llInitUri = (firstSequence: number) => `init_${firstSequence}.mp4`;

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * One LL-HLS rendition's published state, in memory: its init, a window of segments, each made
 * of signed parts, the last one in progress. Every change happens in one synchronous step
 * after its signature is made, so a reader (playlist, manifest, part request) sees a part
 * with its signed hash or not at all. Fragments must be added one at a time, in order.
 */
export class LlRendition {
  private initEntry: { entry: InitEntry & { signature: string }; bytes: Uint8Array } | null = null;
  private readonly list: LlSegment[] = [];
  private listeners = new Set<() => void>();
  private endedFlag = false;
  private nextSequence: number;
  /** Bumped on every publication: a cheap key for rendered playlists. */
  version = 0;

  constructor(
    private readonly options: LlRenditionOptions,
    firstSequence: number,
  ) {
    this.nextSequence = firstSequence;
  }

  get name(): string {
    return this.options.rendition;
  }

  get init(): { entry: InitEntry & { signature: string }; bytes: Uint8Array } | null {
    return this.initEntry;
  }

  get segments(): readonly LlSegment[] {
    return this.list;
  }

  get ended(): boolean {
    return this.endedFlag;
  }

  /** The last published part, or null before the first one. */
  get lastPart(): PartPosition | null {
    const last = this.list.at(-1);
    if (!last || last.parts.length === 0) return null;
    return { msn: last.sequence, part: last.parts.length - 1 };
  }

  /** Media sequence of the last complete segment (one below the first before there is one). */
  get lastCompleteMsn(): number {
    for (let i = this.list.length - 1; i >= 0; i--) {
      if (this.list[i]!.complete) return this.list[i]!.sequence;
    }
    return (this.list[0]?.sequence ?? this.nextSequence) - 1;
  }

  /** The sequence the next segment will get (for the channel's record). */
  get upcomingSequence(): number {
    const last = this.list.at(-1);
    return last ? last.sequence + (last.complete ? 1 : 0) : this.nextSequence;
  }

  async setInit(bytes: Uint8Array): Promise<void> {
    const { streamId, rendition, integrityKey } = this.options;
    const entry = await signLiveInit(subtle, integrityKey, streamId, rendition, {
      uri: llInitUri(this.nextSequence),
      sha256: sha256(bytes),
      sizeBytes: bytes.byteLength,
    });
    this.initEntry = { entry, bytes };
    this.changed();
  }

  /**
   * Publish one fragment as a part. A fragment that starts with a keyframe closes the segment
   * in progress (segments are cut at keyframes) and opens the next.
   */
  async addFragment(fragment: Fragment): Promise<void> {
    if (this.endedFlag) return;
    const current = this.list.at(-1);
    if (current && !current.complete && fragment.keyframe && current.parts.length > 0) {
      await this.completeSegment(current);
    }
    let segment = this.list.at(-1);
    if (!segment || segment.complete) {
      if (!fragment.keyframe && !segment) return; // a stream must start at a keyframe
      const now = this.options.now?.() ?? Date.now();
      segment = {
        sequence: this.nextSequence++,
        parts: [],
        programDateTime: new Date(now - fragment.durationSec * 1000).toISOString(),
        complete: null,
      };
      this.list.push(segment);
    }
    const { streamId, rendition, integrityKey } = this.options;
    const index = segment.parts.length;
    const entry = await signLivePart(subtle, integrityKey, streamId, rendition, {
      sequence: segment.sequence,
      part: index,
      uri: partUri(segment.sequence, index),
      sha256: sha256(fragment.bytes),
      sizeBytes: fragment.bytes.byteLength,
      durationSec: fragment.durationSec,
      independent: fragment.keyframe,
    });
    segment.parts.push({ entry, bytes: fragment.bytes });
    this.changed();
  }

  /** The stream ended: the segment in progress is complete as it is. */
  async end(): Promise<void> {
    const current = this.list.at(-1);
    if (current && !current.complete && current.parts.length > 0) {
      await this.completeSegment(current);
    }
    this.endedFlag = true;
    this.changed();
  }

  part(msn: number, part: number): LlPart | undefined {
    return this.segment(msn)?.parts[part];
  }

  segment(msn: number): LlSegment | undefined {
    const first = this.list[0];
    if (!first) return undefined;
    return this.list[msn - first.sequence];
  }

  /** Call `listener` after every publication until the returned function is called. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  manifest(): LiveManifest {
    return {
      v: INTEGRITY_MANIFEST_VERSION,
      kind: 'live',
      streamId: this.options.streamId,
      rendition: this.options.rendition,
      init: this.initEntry?.entry ?? null,
      segments: this.list.flatMap((s) => (s.complete ? [s.complete.entry] : [])),
      parts: this.list.flatMap((s) => s.parts.map((p) => p.entry)),
    };
  }

  destroy(): void {
    this.listeners.clear();
  }

  private async completeSegment(segment: LlSegment): Promise<void> {
    const bytes = Buffer.concat(segment.parts.map((p) => p.bytes));
    const durationSec = segment.parts.reduce((sum, p) => sum + p.entry.durationSec, 0);
    const { streamId, rendition, integrityKey } = this.options;
    const entry = await signLiveSegment(subtle, integrityKey, streamId, rendition, {
      sequence: segment.sequence,
      uri: segmentUri(segment.sequence),
      sha256: sha256(bytes),
      sizeBytes: bytes.byteLength,
      durationSec,
    });
    segment.complete = { entry, bytes };
    // Slide: keep `windowSegments` complete segments (plus the one in progress).
    const complete = this.list.filter((s) => s.complete).length;
    if (complete > this.options.windowSegments) {
      this.list.splice(0, complete - this.options.windowSegments);
    }
  }

  private changed(): void {
    this.version++;
    for (const listener of [...this.listeners]) listener();
  }
}
