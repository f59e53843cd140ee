import type { PeerFrame } from '@coral-cdn/protocol';
import type { EngineConfig } from './config.js';
import { AbortedError, EngineError } from './errors.js';
import type { PeerDownloadResult, PendingDownload } from './peer-session-types.js';
import {
  chunkViolation,
  clearDownloadTimers,
  doneViolation,
  newPendingDownload,
  type PeerDownloadOptions,
  requestFrameOf,
} from './pending-download.js';
import type { Cancelable, Clock } from './platform.js';
import type { ThroughputEstimator } from './throughput.js';

/** What the downloads of one peer session need of the session. */
export interface PeerDownloadsHost {
  readonly clock: Clock;
  readonly config: EngineConfig;
  readonly remotePeerId: string;
  readonly throughput: ThroughputEstimator;
  send(frame: PeerFrame): void;
  /** The peer broke a transfer (out-of-order chunk, wrong size): a protocol violation. */
  broke(violation: string): void;
  /** The peer did not deliver, in time, a segment it announced. */
  refused(rendition: string, sequence: number): void;
  /** Peer bytes arrived. */
  received(bytes: number): void;
  /** The path's measured round-trip time, ms (null: not measured). */
  pathRttMs(): number | null;
}

/**
 * The downloads from one peer: each request with its stall timer and its hard deadline, the
 * chunks reassembled in order into the caller's sink, and the throughput they teach.
 */
export class PeerDownloads {
  private readonly pending = new Map<number, PendingDownload>();
  private nextRequestId = 1;

  constructor(private readonly host: PeerDownloadsHost) {}

  get size(): number {
    return this.pending.size;
  }

  get(requestId: number): PendingDownload | undefined {
    return this.pending.get(requestId);
  }

  /** Ask the peer for a segment (or a part); `open` false: fails at once. */
  start(
    rendition: string,
    sequence: number,
    options: PeerDownloadOptions,
    open: boolean,
  ): Cancelable<PeerDownloadResult> {
    const { clock, remotePeerId } = this.host;
    const requestId = this.nextRequestId++;
    const { pending, promise } = newPendingDownload(
      requestId,
      rendition,
      sequence,
      options,
      clock.now(),
    );
    if (!open) {
      pending.reject(new EngineError('peer_closed', `peer ${remotePeerId} is closed`));
      return { promise, cancel: () => undefined };
    }
    this.pending.set(requestId, pending);
    this.armStallTimer(pending);
    pending.deadlineTimer = clock.setTimeout(() => {
      pending.deadlineTimer = null;
      if (!this.pending.has(requestId)) return;
      const message = `peer ${remotePeerId} missed the transfer deadline`;
      this.finish(pending, new EngineError('peer_timeout', message));
      this.host.send({ type: 'cancel', requestId });
      this.host.refused(rendition, sequence);
    }, this.host.config.peerTransferDeadlineMs);
    this.host.send(requestFrameOf(pending));
    return {
      promise,
      cancel: () => {
        if (!this.pending.has(requestId)) return;
        this.finish(pending, new AbortedError(`peer download ${rendition}/${sequence} canceled`));
        this.host.send({ type: 'cancel', requestId });
      },
    };
  }

  onData(requestId: number, offsetBytes: number, totalBytes: number, payload: Uint8Array): void {
    const pending = this.pending.get(requestId);
    if (!pending) return; // late chunk of a canceled request
    const violation = chunkViolation(pending, offsetBytes, totalBytes, payload.byteLength);
    if (violation) {
      this.finish(pending, new EngineError('peer_protocol', violation));
      this.host.broke(violation);
      return;
    }
    pending.firstByteAtMs ??= this.host.clock.now();
    pending.sink.set(payload, offsetBytes);
    pending.nextOffset += payload.byteLength;
    this.host.received(payload.byteLength);
    this.armStallTimer(pending);
    pending.onProgress(pending.nextOffset);
  }

  onDone(requestId: number, totalBytes: number): void {
    const pending = this.pending.get(requestId);
    if (!pending) return;
    const violation = doneViolation(pending, totalBytes);
    if (violation) {
      this.finish(pending, new EngineError('peer_protocol', violation));
      this.host.broke(violation);
      return;
    }
    const endedAtMs = this.host.clock.now();
    // The request's round trip is not the peer's rate: peer choice adds it back per path. At
    // most half the transfer is taken for it, so a stale reading cannot make a peer look fast.
    const durationMs = endedAtMs - pending.startedAtMs;
    this.host.throughput.add(
      pending.nextOffset - pending.startOffset,
      Math.max(durationMs / 2, durationMs - (this.host.pathRttMs() ?? 0)),
    );
    clearDownloadTimers(pending, this.host.clock);
    this.pending.delete(requestId);
    pending.resolve({
      startedAtMs: pending.startedAtMs,
      firstByteAtMs: pending.firstByteAtMs ?? endedAtMs,
      endedAtMs,
    });
  }

  /** End a download with `error` (its timers disarmed); nothing if it already ended. */
  finish(pending: PendingDownload, error: Error): void {
    clearDownloadTimers(pending, this.host.clock);
    if (!this.pending.delete(pending.requestId)) return;
    pending.reject(error);
  }

  /** End every download with `error`. */
  finishAll(error: () => Error): void {
    for (const pending of [...this.pending.values()]) this.finish(pending, error());
  }

  private armStallTimer(pending: PendingDownload): void {
    const { clock, remotePeerId } = this.host;
    clearDownloadTimers(pending, clock, 'stall');
    pending.stallTimer = clock.setTimeout(() => {
      pending.stallTimer = null;
      if (!this.pending.has(pending.requestId)) return;
      // A stall also teaches the estimator: this peer is slow right now.
      this.host.throughput.stalled();
      this.finish(pending, new EngineError('peer_timeout', `peer ${remotePeerId} stalled`));
      this.host.send({ type: 'cancel', requestId: pending.requestId });
    }, this.host.config.peerStallTimeoutMs);
  }
}
