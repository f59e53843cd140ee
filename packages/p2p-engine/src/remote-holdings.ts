/**
 * What a remote peer says it holds, bounded whatever it sends: at most `maxRenditions`
 * renditions (a stream has a handful; more is abuse), and per rendition only sequences within
 * `windowSequences` of the newest announced (older ones are of no use to a player anyway). Each
 * announcement costs time linear in its own size plus, when the window moves, in the window.
 */
import type { BitfieldFrame } from '@coral-cdn/protocol';

export const MAX_REMOTE_RENDITIONS = 16;
export const REMOTE_WINDOW_SEQUENCES = 4096;

export class RemoteHoldings {
  private readonly byRendition = new Map<string, { newest: number; held: Set<number> }>();

  constructor(
    private readonly maxRenditions = MAX_REMOTE_RENDITIONS,
    private readonly windowSequences = REMOTE_WINDOW_SEQUENCES,
  ) {}

  has(rendition: string, sequence: number): boolean {
    return this.byRendition.get(rendition)?.held.has(sequence) === true;
  }

  sequences(rendition: string): number[] {
    return [...(this.byRendition.get(rendition)?.held ?? [])];
  }

  /**
   * Record announced sequences. Returns those newly held (in the window), or null when the
   * announcement would exceed the rendition bound (the caller drops the peer).
   */
  add(rendition: string, sequences: Iterable<number>): number[] | null {
    let entry = this.byRendition.get(rendition);
    if (!entry) {
      if (this.byRendition.size >= this.maxRenditions) return null;
      entry = { newest: -Infinity, held: new Set() };
      this.byRendition.set(rendition, entry);
    }
    const incoming = [...sequences];
    let newest = entry.newest;
    for (const sequence of incoming) if (sequence > newest) newest = sequence;
    const oldestKept = newest - this.windowSequences + 1;
    if (newest !== entry.newest) {
      entry.newest = newest;
      for (const sequence of entry.held) if (sequence < oldestKept) entry.held.delete(sequence);
    }
    const added: number[] = [];
    for (const sequence of incoming) {
      if (sequence < oldestKept || entry.held.has(sequence)) continue;
      entry.held.add(sequence);
      added.push(sequence);
    }
    return added;
  }

  /**
   * Record a BITFIELD. Only its last `windowSequences` bits can matter (older ones fall out of
   * the window at once), so only those are expanded: a 65,536-bit frame costs a backward scan
   * of its bytes for the newest set bit plus at most a window of bit tests, not 65,536 entries.
   */
  addBitfield(frame: BitfieldFrame): number[] | null {
    const { bits, count, firstSequence } = frame;
    let byteIndex = Math.ceil(count / 8) - 1;
    while (byteIndex >= 0 && bits[byteIndex] === 0) byteIndex--;
    if (byteIndex < 0) return this.add(frame.rendition, []);
    let lastIndex = Math.min(count - 1, byteIndex * 8 + 7);
    while ((bits[lastIndex >> 3]! & (0x80 >> (lastIndex & 7))) === 0) lastIndex--;
    const sequences: number[] = [];
    for (
      let index = Math.max(0, lastIndex - this.windowSequences + 1);
      index <= lastIndex;
      index++
    ) {
      if ((bits[index >> 3]! & (0x80 >> (index & 7))) !== 0) sequences.push(firstSequence + index);
    }
    return this.add(frame.rendition, sequences);
  }

  delete(rendition: string, sequence: number): void {
    this.byRendition.get(rendition)?.held.delete(sequence);
  }
}
