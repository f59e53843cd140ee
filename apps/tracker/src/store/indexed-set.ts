/** A set with O(1) add, delete and uniform random sampling (array + position map). */
export class IndexedSet<T> {
  private readonly items: T[] = [];
  private readonly positions = new Map<T, number>();

  get size(): number {
    return this.items.length;
  }

  has(item: T): boolean {
    return this.positions.has(item);
  }

  add(item: T): boolean {
    if (this.positions.has(item)) return false;
    this.positions.set(item, this.items.length);
    this.items.push(item);
    return true;
  }

  delete(item: T): boolean {
    const position = this.positions.get(item);
    if (position === undefined) return false;
    const last = this.items.pop()!;
    this.positions.delete(item);
    if (position < this.items.length) {
      this.items[position] = last;
      this.positions.set(last, position);
    }
    return true;
  }

  values(): readonly T[] {
    return this.items;
  }

  /** Up to `count` distinct items, chosen uniformly; all of them when the set is that small. */
  sample(count: number, random: () => number): T[] {
    const n = this.items.length;
    if (count >= n) return [...this.items];
    const picked = new Set<T>();
    // Rejection sampling is cheap while count is well below n; fall back to a partial shuffle.
    if (count * 2 <= n) {
      while (picked.size < count) picked.add(this.items[Math.floor(random() * n)]!);
      return [...picked];
    }
    const copy = [...this.items];
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(random() * (n - i));
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy.slice(0, count);
  }
}
