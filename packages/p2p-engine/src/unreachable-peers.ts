/** A peer we could not connect to is not offered to again for this long. */
const RETRY_AFTER_FAILURE_MS = 30_000;
/** Peers remembered as unreachable at most (the oldest is forgotten first). */
const UNREACHABLE_LIMIT = 1024;

/** Peers recently failed to connect to, so that the tracker's next list does not retry them. */
export class UnreachablePeers {
  /** Peer id → the time (ms) it may be tried again; insertion order is age. */
  private readonly retryAtMs = new Map<string, number>();

  constructor(private readonly nowMs: () => number) {}

  mark(peerId: string): void {
    this.retryAtMs.delete(peerId);
    this.retryAtMs.set(peerId, this.nowMs() + RETRY_AFTER_FAILURE_MS);
    if (this.retryAtMs.size > UNREACHABLE_LIMIT)
      this.retryAtMs.delete(this.retryAtMs.keys().next().value!);
  }

  recently(peerId: string): boolean {
    const until = this.retryAtMs.get(peerId);
    if (until === undefined) return false;
    if (this.nowMs() < until) return true;
    this.retryAtMs.delete(peerId);
    return false;
  }
}
