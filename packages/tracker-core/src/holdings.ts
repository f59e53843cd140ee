/**
 * What one peer announced it holds in one room, as sorted, disjoint, non-adjacent ranges of
 * sequence numbers (`[first, last]`, inclusive) in one flat array. A run of segments, the
 * usual shape of a player's buffer or cache, costs two numbers however long it is; the worst
 * case (every other sequence) costs two numbers per sequence, so memory per peer is bounded
 * by the sequence cap, not by what a peer claims. Updates merge sorted lists (linear).
 */
export class Holdings {
  /** first0, last0, first1, last1, ... ascending; gaps of at least one between ranges. */
  private bounds: number[] = [];
  private count = 0;

  /** Sequences held. */
  get size(): number {
    return this.count;
  }

  /** Ranges held (memory is two numbers per range). */
  get rangeCount(): number {
    return this.bounds.length / 2;
  }

  has(sequence: number): boolean {
    // The last range whose first is <= sequence.
    let low = 0;
    let high = this.bounds.length / 2 - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      if (this.bounds[mid * 2]! <= sequence) low = mid + 1;
      else high = mid - 1;
    }
    return high >= 0 && sequence <= this.bounds[high * 2 + 1]!;
  }

  /** Add sequences (any order, duplicates allowed). */
  addAll(sequences: readonly number[]): void {
    if (sequences.length === 0) return;
    this.set(union(this.bounds, toRanges(sequences)));
  }

  /** Add `[first, last]` ranges (any order; overlapping and inverted ones are fine). */
  addRanges(ranges: ReadonlyArray<readonly [number, number]>): void {
    const sorted = ranges
      .map(([a, b]) => (a <= b ? [a, b] : [b, a]))
      .sort((x, y) => x[0]! - y[0]!)
      .flat();
    if (sorted.length > 0) this.set(union(this.bounds, union(sorted, [])));
  }

  /** Remove sequences (any order; ones not held are ignored). */
  deleteAll(sequences: readonly number[]): void {
    if (sequences.length === 0 || this.count === 0) return;
    this.set(subtract(this.bounds, toRanges(sequences)));
  }

  /** Forget the lowest sequences until at most `max` remain (for live, the oldest). */
  trimTo(max: number): void {
    let excess = this.count - Math.max(0, max);
    if (excess <= 0) return;
    let drop = 0;
    while (excess > 0) {
      const length = this.bounds[drop + 1]! - this.bounds[drop]! + 1;
      if (length <= excess) {
        excess -= length;
        drop += 2;
      } else {
        this.bounds[drop] = this.bounds[drop]! + excess;
        excess = 0;
      }
    }
    this.set(this.bounds.slice(drop));
  }

  /** Every sequence held, ascending. */
  values(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.bounds.length; i += 2) {
      for (let s = this.bounds[i]!; s <= this.bounds[i + 1]!; s++) out.push(s);
    }
    return out;
  }

  /** The ranges as `[first, last]` pairs, ascending. */
  ranges(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let i = 0; i < this.bounds.length; i += 2)
      out.push([this.bounds[i]!, this.bounds[i + 1]!]);
    return out;
  }

  private set(bounds: number[]): void {
    this.bounds = bounds;
    let count = 0;
    for (let i = 0; i < bounds.length; i += 2) count += bounds[i + 1]! - bounds[i]! + 1;
    this.count = count;
  }
}

/** Flat sorted ranges of a list of sequences (sorted copy; duplicates and runs merged). */
export function toRanges(sequences: readonly number[]): number[] {
  const sorted = [...sequences].sort((a, b) => a - b);
  const out: number[] = [];
  for (const s of sorted) {
    const last = out.length - 1;
    if (last > 0 && s <= out[last]! + 1) out[last] = Math.max(out[last]!, s);
    else out.push(s, s);
  }
  return out;
}

/** Union of two flat range lists; touching ranges merge. */
export function union(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let first: number;
    let last: number;
    if (j >= b.length || (i < a.length && a[i]! <= b[j]!)) {
      first = a[i]!;
      last = a[i + 1]!;
      i += 2;
    } else {
      first = b[j]!;
      last = b[j + 1]!;
      j += 2;
    }
    const end = out.length - 1;
    if (end > 0 && first <= out[end]! + 1) out[end] = Math.max(out[end]!, last);
    else out.push(first, last);
  }
  return out;
}

/** `a` without the sequences of `b` (both flat range lists). */
export function subtract(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < a.length; i += 2) {
    let first = a[i]!;
    const last = a[i + 1]!;
    while (j < b.length && b[j + 1]! < first) j += 2;
    let k = j;
    while (k < b.length && b[k]! <= last && first <= last) {
      if (b[k]! > first) out.push(first, b[k]! - 1);
      first = Math.max(first, b[k + 1]! + 1);
      k += 2;
    }
    if (first <= last) out.push(first, last);
  }
  return out;
}
