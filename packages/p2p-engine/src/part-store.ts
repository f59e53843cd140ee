import type { SignedPartHash } from '@coral-cdn/protocol';
import { dropOldest } from './drop-oldest.js';
import { Emitter } from './emitter.js';
import { partKey, type PartKey, type PartName } from './part-key.js';

/** A part this viewer holds: its bytes and, once known, the origin's checked signed entry. */
export interface StoredPart extends PartName {
  readonly bytes: Uint8Array;
  /** Where its bytes came from. */
  readonly source: 'http' | 'p2p';
  /** The checked `coral-part/1` entry; null until known (then the part is not shared). */
  signed: SignedPartHash | null;
}

interface PartStoreEvents {
  /** A part became shareable: bytes and checked signed entry both here. */
  shareable: (part: StoredPart) => void;
}

/**
 * The LL-HLS parts this viewer holds, to upload to peers. Parts matter for a few seconds at
 * the live edge, so the store keeps the newest `maxParts` and drops the oldest first.
 */
export class PartStore extends Emitter<PartStoreEvents> {
  private readonly parts = new Map<PartKey, StoredPart>();

  constructor(private readonly maxParts = 64) {
    super();
  }

  get count(): number {
    return this.parts.size;
  }

  /** The part, if held with its signed entry (what a peer may be sent). */
  shareable(name: PartName): StoredPart | undefined {
    const part = this.parts.get(partKey(name));
    return part?.signed ? part : undefined;
  }

  /**
   * The parts held of one segment, in part order (possibly with gaps): shareable ones, and
   * ones from the CDN whose own entry is not known (a peer's part always has its entry).
   */
  segmentParts(rendition: string, sequence: number): StoredPart[] {
    const out: StoredPart[] = [];
    for (const part of this.parts.values())
      if (part.rendition === rendition && part.sequence === sequence) out.push(part);
    return out.sort((a, b) => a.part - b.part);
  }

  /** Segments of `rendition` of which some part is held. */
  sequencesHeld(rendition: string): number[] {
    const sequences = new Set<number>();
    for (const part of this.parts.values())
      if (part.rendition === rendition) sequences.add(part.sequence);
    return [...sequences];
  }

  /** Segments of which some part is held, in any rendition. */
  sequencesHeldInAny(): number[] {
    return [...new Set([...this.parts.values()].map((part) => part.sequence))];
  }

  add(
    name: PartName,
    bytes: Uint8Array,
    signed: SignedPartHash | null,
    source: StoredPart['source'],
  ): void {
    const key = partKey(name);
    if (this.parts.has(key)) {
      if (signed) this.sign(name, signed);
      return;
    }
    const part: StoredPart = {
      rendition: name.rendition,
      sequence: name.sequence,
      part: name.part,
      bytes,
      source,
      signed: null,
    };
    this.parts.set(key, part);
    dropOldest(this.parts, this.maxParts);
    if (signed) this.sign(name, signed);
  }

  /** The part's signed entry arrived (checked by the caller). */
  sign(name: PartName, signed: SignedPartHash): void {
    const part = this.parts.get(partKey(name));
    if (!part || part.signed) return;
    part.signed = signed;
    this.emit('shareable', part);
  }

  clear(): void {
    this.parts.clear();
  }
}
