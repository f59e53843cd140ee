/** Client messages per second, counted in one-second slots over the last ten seconds. */
export class MessageRate {
  private readonly counts = new Array<number>(10).fill(0);
  private second = 0;

  count(nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    if (second !== this.second) {
      const gap = Math.min(second - this.second, this.counts.length);
      for (let i = 1; i <= gap; i++) this.counts[(this.second + i) % 10] = 0;
      this.second = second;
    }
    this.counts[second % 10]!++;
  }

  /** The mean over the nine full seconds before the current one. */
  perSec(nowMs: number): number {
    this.count(nowMs);
    this.counts[this.second % 10]!--;
    let total = 0;
    for (let i = 1; i <= 9; i++) total += this.counts[(this.second - i + 10) % 10]!;
    return Math.round((total / 9) * 10) / 10;
  }
}
