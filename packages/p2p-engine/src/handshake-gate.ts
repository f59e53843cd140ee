import type { PeerFrame } from '@coral-cdn/protocol';
import type { Clock, TimerId } from './platform.js';

/**
 * Frames held for a remote whose handshake is not in yet, at most: what a peer sends at start
 * (a signed entry and a bitfield per rendition) and a few HAVEs fit well within it.
 */
export const MAX_FRAMES_BEFORE_HANDSHAKE = 64;

/** Any frame but a handshake. */
export type NonHandshakeFrame = Exclude<PeerFrame, { type: 'handshake' }>;

/** Repeated handshakes (requests for ours) this side answers, at most. */
export const MAX_HANDSHAKE_REPLIES = 4;

/** What to do with a frame that came before the remote's handshake. */
export type EarlyFrameVerdict =
  /** Held, and the first: send our handshake again, which asks the remote for its own. */
  | 'ask'
  /** Held. */
  | 'hold'
  /** More than an honest start sends: a protocol violation. */
  | 'overflow';

/**
 * The remote's handshake, which a session needs before any other frame. A browser can lose a
 * channel's first message (seen in Chromium on a loaded machine: the remote's BITFIELD came in
 * and its HANDSHAKE, sent just before, never did), so a frame that comes first is held rather
 * than taken as abuse, and the remote is asked again: a repeat of our handshake is that
 * request, and a repeated handshake from the remote is answered with ours.
 */
export class HandshakeGate {
  private isHandshaken = false;
  private held: NonHandshakeFrame[] = [];
  private replies = 0;
  private timer: TimerId | null = null;

  /** Call `onLate` if no handshake has come within `timeoutMs`. */
  constructor(
    private readonly clock: Clock,
    timeoutMs: number,
    onLate: () => void,
  ) {
    // The handshake and destroy() clear the timer: if it fires, no handshake came.
    this.timer = clock.setTimeout(() => {
      this.timer = null;
      onLate();
    }, timeoutMs);
  }

  get handshaken(): boolean {
    return this.isHandshaken;
  }

  early(frame: NonHandshakeFrame): EarlyFrameVerdict {
    if (this.held.length >= MAX_FRAMES_BEFORE_HANDSHAKE) return 'overflow';
    this.held.push(frame);
    // Frames are held only until the first handshake: the first one held is the one to ask on.
    return this.held.length === 1 ? 'ask' : 'hold';
  }

  /**
   * A valid handshake came. The first: the frames held until now, to handle in order. A
   * repeat: whether to answer it with ours (at most `MAX_HANDSHAKE_REPLIES` times).
   */
  handshake(): { first: true; held: NonHandshakeFrame[] } | { first: false; answer: boolean } {
    if (this.isHandshaken) return { first: false, answer: this.replies++ < MAX_HANDSHAKE_REPLIES };
    this.isHandshaken = true;
    this.destroy();
    const held = this.held;
    this.held = [];
    return { first: true, held };
  }

  /** Stop waiting. Idempotent. */
  destroy(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}
