import { dropOldest } from './drop-oldest.js';
import type { IntegrityRegistry } from './integrity.js';
import type { PartStatsCounters } from './part-stats.js';
import type { PartStore, StoredPart } from './part-store.js';
import type { Clock, EnginePlatform } from './platform.js';
import { segmentKey, type SegmentKey } from './segment-key.js';
import type { SegmentSource, SegmentStore } from './segment-store.js';

/** Segments remembered as assembled or refused (a live window holds a handful). */
const MAX_SETTLED = 256;

/** What a segment's held parts make, measured against the segment's signed size. */
export type PartsVerdict = 'complete' | 'incomplete' | 'oversize';

/**
 * Do the held parts of a segment (in part order, each with its size) make the whole segment
 * the origin signed? Complete when parts 0..k are all there and their sizes add up to the
 * signed size exactly; incomplete while a part is missing; oversize when they add up to more
 * (these parts and that entry can never agree).
 */
export function partsVerdict(
  parts: ReadonlyArray<{ part: number; sizeBytes: number }>,
  signedSizeBytes: number,
): PartsVerdict {
  let totalBytes = 0;
  for (const [index, part] of parts.entries()) {
    if (part.part !== index) return totalBytes > signedSizeBytes ? 'oversize' : 'incomplete';
    totalBytes += part.sizeBytes;
  }
  if (totalBytes > signedSizeBytes) return 'oversize';
  return totalBytes === signedSizeBytes ? 'complete' : 'incomplete';
}

export interface PartSegmentsDeps {
  clock: Clock;
  log?: EnginePlatform['log'];
  parts: PartStore;
  /** The classic `coral-live/1` entries of whole segments (the origin signs both forms). */
  integrity: IntegrityRegistry;
  segments: SegmentStore;
  counters: PartStatsCounters;
}

/**
 * Whole segments from LL parts: once this viewer holds every part of a segment (from peers,
 * each checked against its `coral-part/1` entry, or from the CDN, with or without one: parts
 * loaded before the first frame never have it) and knows the segment's own signed entry, the
 * parts end to end are checked against that entry and, when they match, kept in the segment
 * store as a verified segment. The store announces it like any other, so viewers further behind (a late
 * joiner, or hls.js not in low-latency mode) take it from peers. The assembled bytes are
 * checked before the announcement: a viewer that offered a segment its peers then found bad
 * would be dropped and reported by every one of them.
 */
export class PartSegments {
  private readonly settled = new Set<SegmentKey>();
  private readonly running = new Set<SegmentKey>();
  private destroyed = false;

  constructor(private readonly deps: PartSegmentsDeps) {}

  /** Try every segment of `rendition` of which parts are held (a segment entry came). */
  checkRendition(rendition: string): void {
    for (const sequence of this.deps.parts.sequencesHeld(rendition))
      this.tryAssemble(rendition, sequence);
  }

  /** Assemble the segment if its parts and its signed entry are all here. */
  tryAssemble(rendition: string, sequence: number): void {
    const { integrity, parts, segments } = this.deps;
    const key = segmentKey(rendition, sequence);
    if (this.destroyed || this.settled.has(key) || this.running.has(key)) return;
    if (segments.has(rendition, sequence)) return;
    const entry = integrity.known(rendition, sequence);
    if (!entry) return;
    const held = parts.segmentParts(rendition, sequence);
    const verdict = partsVerdict(
      held.map((part) => ({ part: part.part, sizeBytes: part.bytes.byteLength })),
      entry.sizeBytes,
    );
    if (verdict === 'incomplete') return;
    if (verdict === 'oversize') {
      this.refuse(key, `parts add up to more than the signed ${entry.sizeBytes} bytes`);
      return;
    }
    this.running.add(key);
    const bytes = concat(held);
    void integrity.verify(rendition, sequence, bytes).then(
      () => {
        this.running.delete(key);
        if (this.destroyed) return;
        this.settle(key);
        if (segments.has(rendition, sequence)) return;
        const nowMs = this.deps.clock.now();
        segments.put({
          rendition,
          sequence,
          bytes,
          source: sourceOf(held),
          // Its bytes were counted as parts, with their own reasons.
          cdnReason: null,
          timing: { startedAtMs: nowMs, firstByteAtMs: nowMs, endedAtMs: nowMs },
          verified: true,
          prefetched: false,
          played: true,
        });
        this.deps.counters.segmentsAssembled++;
      },
      (error: unknown) => {
        this.running.delete(key);
        this.refuse(key, error instanceof Error ? error.message : String(error));
      },
    );
  }

  destroy(): void {
    this.destroyed = true;
    this.settled.clear();
    this.running.clear();
  }

  /** Parts whose entries hold but that do not make the signed segment: never announced. */
  private refuse(key: SegmentKey, reason: string): void {
    if (this.destroyed) return;
    this.settle(key);
    this.deps.counters.assemblyFailures++;
    this.deps.log?.('warn', 'parts do not make the signed segment: not offered to peers', {
      component: 'part-segments',
      segment: key,
      reason,
    });
  }

  private settle(key: SegmentKey): void {
    this.settled.add(key);
    dropOldest(this.settled, MAX_SETTLED);
  }
}

function concat(parts: readonly StoredPart[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.bytes.byteLength, 0));
  let offsetBytes = 0;
  for (const part of parts) {
    out.set(part.bytes, offsetBytes);
    offsetBytes += part.bytes.byteLength;
  }
  return out;
}

function sourceOf(parts: readonly StoredPart[]): SegmentSource {
  const sources = new Set(parts.map((part) => part.source));
  return sources.size > 1 ? 'mixed' : (parts[0]?.source ?? 'http');
}
