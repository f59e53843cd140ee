import { getHeapStatistics } from 'node:v8';

/** Share of V8's heap limit at which new joins stop when no limit is configured. */
export const DEFAULT_HEAP_SHARE = 0.8;

/** The heap limit in bytes: the configured MiB, or a share of what V8 may grow to. */
export function heapLimitBytes(configuredMb: number | undefined): number {
  if (configuredMb !== undefined) return configuredMb * 2 ** 20;
  return Math.floor(getHeapStatistics().heap_size_limit * DEFAULT_HEAP_SHARE);
}

/**
 * Refuses new connections and joins while the heap in use is at or above a limit, well
 * before V8's own limit ends the process (which would drop every viewer at once). Memory
 * per connection is bounded by design; this is the backstop for the sum. The heap is read
 * at each decision (a V8 counter: microseconds).
 */
export class MemoryGuard {
  private refusing = false;

  constructor(
    readonly limitBytes: number,
    private readonly onChange: (refusing: boolean, heapUsedBytes: number) => void = () => {},
  ) {}

  /** True while the heap is too full for another member. 0 disables the guard. */
  full(): boolean {
    if (this.limitBytes === 0) return false;
    const used = heapUsedBytes();
    const full = used >= this.limitBytes;
    if (full !== this.refusing) {
      this.refusing = full;
      this.onChange(full, used);
    }
    return full;
  }
}

export function heapUsedBytes(): number {
  return getHeapStatistics().used_heap_size;
}
