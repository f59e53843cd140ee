/**
 * How many counted reports one reporter may file in a window, by what it is: its viewer
 * (token subject), its address, its address block (addressGroup). A client with many free
 * tokens, or many addresses of one block, gets no more reports counted than the limits of
 * the keys it shares.
 */
export interface ReportLimits {
  readonly perViewer: number;
  readonly perAddress: number;
  readonly perGroup: number;
  readonly windowMs: number;
}

export interface ReporterKeys {
  readonly viewer: string;
  readonly address: string;
  readonly group: string;
}

export class ReportLimiter {
  /** Report times per key (`v:`, `a:`, `g:` prefixed), oldest first. */
  private readonly times = new Map<string, number[]>();

  constructor(private readonly limits: ReportLimits) {}

  /** Whether a report from `keys` may count now; if so it is recorded against each key. */
  take(keys: ReporterKeys, nowMs: number): boolean {
    const entries: Array<[string, number]> = [
      [`v:${keys.viewer}`, this.limits.perViewer],
      [`a:${keys.address}`, this.limits.perAddress],
      [`g:${keys.group}`, this.limits.perGroup],
    ];
    const lists = entries.map(([key, limit]) => ({ key, limit, list: this.recent(key, nowMs) }));
    if (lists.some(({ list, limit }) => list.length >= limit)) return false;
    for (const { key, list } of lists) {
      list.push(nowMs);
      this.times.set(key, list);
    }
    return true;
  }

  /** Forget keys with no report in the window (bounded memory). */
  sweep(nowMs: number): void {
    for (const key of [...this.times.keys()]) {
      if (this.recent(key, nowMs).length === 0) this.times.delete(key);
    }
  }

  get size(): number {
    return this.times.size;
  }

  private recent(key: string, nowMs: number): number[] {
    const list = this.times.get(key) ?? [];
    const cutoff = nowMs - this.limits.windowMs;
    let drop = 0;
    while (drop < list.length && list[drop]! <= cutoff) drop++;
    if (drop > 0) list.splice(0, drop);
    return list;
  }
}
