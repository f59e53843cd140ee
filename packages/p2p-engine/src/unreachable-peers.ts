import { dropOldest } from './drop-oldest.js';

/**
 * A peer we could not connect to is not offered to again for a while: 5 s after a first
 * failure, doubling with each further one up to 30 s. A set-up between two reachable homes
 * fails now and then on a lost handshake packet, and a single retry soon brings the pair
 * together; a peer that is really out of reach costs a few more tries, then one per 30 s.
 */
export const RETRY_AFTER_FIRST_FAILURE_MS = 5_000;
export const RETRY_AFTER_FAILURE_MAX_MS = 30_000;

/** How long to leave a peer alone after its `failures`-th failed set-up in a row, ms. */
export function retryAfterMs(failures: number): number {
  return Math.min(
    RETRY_AFTER_FAILURE_MAX_MS,
    RETRY_AFTER_FIRST_FAILURE_MS * 2 ** Math.max(0, failures - 1),
  );
}
/** Peers remembered as unreachable at most (the oldest is forgotten first). */
const UNREACHABLE_LIMIT = 1024;

/** Peers recently failed to connect to, so that the tracker's next list does not retry them. */
export class UnreachablePeers {
  /** Peer id → when (ms) it may be tried again and its failures so far; insertion order is age. */
  private readonly retryAtMs = new Map<string, { atMs: number; failures: number }>();

  constructor(private readonly nowMs: () => number) {}

  /** A set-up with the peer failed. */
  mark(peerId: string): void {
    this.record(peerId, (this.retryAtMs.get(peerId)?.failures ?? 0) + 1);
  }

  /**
   * A set-up opened on a path this viewer may not use (a relay it is not allowed): no lost
   * packet that a retry soon would get past, so it waits the longest.
   */
  refused(peerId: string): void {
    this.record(peerId, Infinity);
  }

  /** Failed lately: not to be offered to now. Its failures are remembered for the next. */
  recently(peerId: string): boolean {
    const entry = this.retryAtMs.get(peerId);
    return entry !== undefined && this.nowMs() < entry.atMs;
  }

  /** A set-up with the peer opened: its failures are forgotten. */
  reached(peerId: string): void {
    this.retryAtMs.delete(peerId);
  }

  private record(peerId: string, failures: number): void {
    this.retryAtMs.delete(peerId);
    this.retryAtMs.set(peerId, { atMs: this.nowMs() + retryAfterMs(failures), failures });
    dropOldest(this.retryAtMs, UNREACHABLE_LIMIT);
  }
}
