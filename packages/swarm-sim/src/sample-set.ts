/** A set with O(1) add, delete and uniform random sampling (swap-remove over an array). */
export class SampleSet {
  private readonly items: string[] = [];
  private readonly index = new Map<string, number>();

  get size(): number {
    return this.items.length;
  }

  add(item: string): void {
    if (this.index.has(item)) return;
    this.index.set(item, this.items.length);
    this.items.push(item);
  }

  delete(item: string): void {
    const at = this.index.get(item);
    if (at === undefined) return;
    const last = this.items.pop()!;
    this.index.delete(item);
    if (at < this.items.length) {
      this.items[at] = last;
      this.index.set(last, at);
    }
  }

  /** Up to `count` distinct items, uniformly (all of them when there are fewer). */
  sample(count: number, random: () => number): string[] {
    const n = this.items.length;
    if (n <= count) return [...this.items];
    const picked = new Set<number>();
    while (picked.size < count) picked.add(Math.floor(random() * n));
    return [...picked].map((i) => this.items[i]!);
  }
}
