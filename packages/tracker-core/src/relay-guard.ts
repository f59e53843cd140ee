import type { SignalPayload, TrackerErrorCode } from '@coral-cdn/protocol';
import type { RoomId } from './rooms.js';

export interface RelayGuardOptions {
  /** How long an offer waits for its answer. */
  offerTimeoutMs: number;
  /** How long after the answer ICE candidates still pass. */
  candidateWindowMs: number;
  /** Offers one peer may have waiting for answers at once. */
  maxPendingOffersPerPeer: number;
}

export type RelayDecision =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: TrackerErrorCode; readonly message: string };

interface Attempt {
  readonly key: string;
  readonly offerer: string;
  readonly answerer: string;
  state: 'pending' | 'answered';
  expiresAtMs: number;
}

const allowed: RelayDecision = { ok: true };

/**
 * The tracker is no open relay: it forwards signalling only for a connection attempt that
 * an offer opened. An offer A→B with connection id c opens the attempt (A,B,c); only B's
 * answer to A for c passes, once, while the offer is pending; ICE candidates for c pass in
 * either direction while the attempt is pending or within the window after its answer.
 * Each node that forwards or delivers a signal keeps this table, so a relay across nodes is
 * checked on both sides.
 */
export class RelayGuard {
  private readonly attempts = new Map<string, Attempt>();
  private readonly byPeer = new Map<string, Set<string>>();
  private readonly pendingByOfferer = new Map<string, number>();

  constructor(private readonly options: RelayGuardOptions) {}

  get size(): number {
    return this.attempts.size;
  }

  /** Decide whether `signal` from → to may pass, and record what it opens or closes. */
  check(
    room: RoomId,
    from: string,
    to: string,
    signal: SignalPayload,
    nowMs: number,
  ): RelayDecision {
    if (from === to) return { ok: false, code: 'unknown_peer', message: 'cannot signal yourself' };
    const outbound = attemptKey(room, from, to, signal.connectionId);
    switch (signal.kind) {
      case 'offer': {
        const existing = this.live(outbound, nowMs);
        if (!existing) {
          if ((this.pendingByOfferer.get(from) ?? 0) >= this.options.maxPendingOffersPerPeer) {
            return {
              ok: false,
              code: 'rate_limited',
              message: `more than ${this.options.maxPendingOffersPerPeer} offers await answers`,
            };
          }
          this.open(outbound, from, to, nowMs);
        } else {
          // A renegotiation (e.g. an ICE restart) re-opens the same attempt.
          if (existing.state === 'answered') this.setPending(existing, true);
          existing.expiresAtMs = nowMs + this.options.offerTimeoutMs;
        }
        return allowed;
      }
      case 'answer': {
        const attempt = this.live(attemptKey(room, to, from, signal.connectionId), nowMs);
        if (!attempt || attempt.state !== 'pending') {
          return noPendingOffer(
            `no pending offer from ${to} for connection ${signal.connectionId}`,
          );
        }
        this.setPending(attempt, false);
        attempt.state = 'answered';
        attempt.expiresAtMs = nowMs + this.options.candidateWindowMs;
        return allowed;
      }
      case 'candidate': {
        const attempt =
          this.live(outbound, nowMs) ??
          this.live(attemptKey(room, to, from, signal.connectionId), nowMs);
        if (!attempt) {
          return noPendingOffer(`no connection attempt ${signal.connectionId} with ${to}`);
        }
        return allowed;
      }
    }
  }

  /** Forget a peer's attempts (it left a room, or every room when `room` is omitted). */
  forgetPeer(peerId: string, room?: RoomId): void {
    const keys = this.byPeer.get(peerId);
    if (!keys) return;
    for (const key of [...keys]) {
      if (room === undefined || key.startsWith(`${room}|`)) this.remove(key);
    }
  }

  /** Drop expired attempts. */
  sweep(nowMs: number): void {
    for (const attempt of this.attempts.values()) {
      if (attempt.expiresAtMs <= nowMs) this.remove(attempt.key);
    }
  }

  destroy(): void {
    this.attempts.clear();
    this.byPeer.clear();
    this.pendingByOfferer.clear();
  }

  private live(key: string, nowMs: number): Attempt | undefined {
    const attempt = this.attempts.get(key);
    if (attempt && attempt.expiresAtMs <= nowMs) {
      this.remove(key);
      return undefined;
    }
    return attempt;
  }

  private open(key: string, offerer: string, answerer: string, nowMs: number): void {
    const attempt: Attempt = {
      key,
      offerer,
      answerer,
      state: 'pending',
      expiresAtMs: nowMs + this.options.offerTimeoutMs,
    };
    this.attempts.set(key, attempt);
    this.setPending(attempt, true);
    for (const peer of [offerer, answerer]) {
      let keys = this.byPeer.get(peer);
      if (!keys) {
        keys = new Set();
        this.byPeer.set(peer, keys);
      }
      keys.add(key);
    }
  }

  private remove(key: string): void {
    const attempt = this.attempts.get(key);
    if (!attempt) return;
    if (attempt.state === 'pending') this.setPending(attempt, false);
    this.attempts.delete(key);
    for (const peer of [attempt.offerer, attempt.answerer]) {
      const keys = this.byPeer.get(peer);
      keys?.delete(key);
      if (keys?.size === 0) this.byPeer.delete(peer);
    }
  }

  /** Count (or uncount) an attempt among its offerer's pending offers. */
  private setPending(attempt: Attempt, pending: boolean): void {
    const count = (this.pendingByOfferer.get(attempt.offerer) ?? 0) + (pending ? 1 : -1);
    if (count <= 0) this.pendingByOfferer.delete(attempt.offerer);
    else this.pendingByOfferer.set(attempt.offerer, count);
    if (pending) attempt.state = 'pending';
  }
}

function attemptKey(room: RoomId, offerer: string, answerer: string, connectionId: string) {
  return `${room}|${offerer}|${answerer}|${connectionId}`;
}

function noPendingOffer(message: string): RelayDecision {
  return { ok: false, code: 'no_pending_offer', message };
}
