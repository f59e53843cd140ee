import type { Clock } from './platform.js';
import type { SegmentResult } from './segment-request.js';
import type { SegmentInfo } from './playlist-state.js';
import { segmentKey, type SegmentKey } from './segment-key.js';
import type { CdnReason } from './stats.js';

/** A player waiting for a download. */
export interface Waiter {
  resolve: (result: SegmentResult) => void;
  reject: (error: Error) => void;
  onProgress?: ((loadedBytes: number, totalBytes: number | null) => void) | undefined;
  reportedBytes: number;
}

/** One segment being fetched: its waiting players, its bytes so far and where they came from. */
/** Bytes [fromBytes, toBytes) of a download's sink that came from one peer. */
export interface PeerSpan {
  peerId: string;
  fromBytes: number;
  toBytes: number;
}

export class Download {
  readonly key: SegmentKey;
  readonly waiters = new Set<Waiter>();
  readonly failedPeers = new Set<string>();
  /** Which peer wrote which bytes of the sink: blame when a copy from several fails its hash. */
  peerSpans: PeerSpan[] = [];
  /**
   * Bytes from several peers that failed their hash, with who sent which: compared with the
   * CDN's copy once it arrives, so that only a peer whose bytes differ is banned.
   */
  suspect: { bytes: Uint8Array; spans: readonly PeerSpan[] } | null = null;
  playerRequested = false;
  canceled = false;
  forceHttp = false;
  /** Why the CDN was asked (the first reason; counted once per download). */
  cdnReason: CdnReason | null = null;
  /** Earliest deadline seen: it only ever moves earlier (a paused player does not push it out). */
  deadlineMs = Infinity;
  /** A fetch of the integrity manifest is under way on this download's behalf. */
  integrityPending = false;
  sink: Uint8Array | null = null;
  filledBytes = 0;
  /** Bytes of the sink that came from peers / over HTTP. */
  p2pBytes = 0;
  httpBytes = 0;
  startedAtMs = 0;
  firstByteAtMs: number | null = null;
  cancelCurrent: (() => void) | null = null;
  wakeCurrent: (() => void) | null = null;

  constructor(
    readonly info: SegmentInfo,
    readonly reason: 'player' | 'prefetch',
  ) {
    this.key = segmentKey(info.rendition, info.sequence);
  }

  wake(): void {
    this.wakeCurrent?.();
  }

  /** Wait until `untilMs`, or less when woken (a holder announced it, a deadline moved). */
  sleepUntil(clock: Clock, untilMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clock.clearTimeout(timer);
        this.wakeCurrent = null;
        resolve();
      };
      const timer = clock.setTimeout(done, Math.max(0, untilMs - clock.now()));
      this.wakeCurrent = done;
    });
  }

  /** Tell the waiting players how far the bytes reach (monotonic per waiter). */
  progress(loadedBytes: number, totalBytes: number | null): void {
    for (const waiter of this.waiters) {
      if (!waiter.onProgress || loadedBytes <= waiter.reportedBytes) continue;
      waiter.reportedBytes = loadedBytes;
      waiter.onProgress(loadedBytes, totalBytes);
    }
  }

  /** Why the CDN serves (some of) this download: the first reason, counted once. */
  noteCdnReason(reason: CdnReason, counts: Record<CdnReason, number>): void {
    if (this.cdnReason !== null) return;
    this.cdnReason = reason;
    counts[reason]++;
  }

  /** The peers whose bytes are in the sink. */
  get contributors(): ReadonlySet<string> {
    return new Set(this.peerSpans.map((span) => span.peerId));
  }

  /** Peer bytes [fromBytes, toBytes) arrived from `peerId`. */
  notePeerBytes(peerId: string, fromBytes: number, toBytes: number): void {
    if (toBytes <= fromBytes) return;
    this.p2pBytes += toBytes - fromBytes;
    const last = this.peerSpans[this.peerSpans.length - 1];
    if (last?.peerId === peerId && last.toBytes === fromBytes) last.toBytes = toBytes;
    else this.peerSpans.push({ peerId, fromBytes, toBytes });
  }

  /** Forget the bytes gathered so far; returns how many of them came from peers. */
  resetBytes(): number {
    const p2pBytes = this.p2pBytes;
    this.sink = null;
    this.filledBytes = 0;
    this.p2pBytes = 0;
    this.httpBytes = 0;
    this.peerSpans = [];
    return p2pBytes;
  }
}
