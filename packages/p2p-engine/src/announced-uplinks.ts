import { dropOldest } from './drop-oldest.js';

/** Peers remembered at most: a few tracker answers' worth. */
export const MAX_ANNOUNCED_UPLINKS = 1024;

/**
 * The upload each peer announced to the tracker (`uploadKbps` in the tracker's answers), so
 * that a new session starts from what its peer said it can carry instead of a guess: a home
 * on a 1 Mbit/s uplink is not asked as if it had 8. Bounded, oldest forgotten first.
 */
export class AnnouncedUplinks {
  private readonly kbpsByPeer = new Map<string, number>();

  note(peers: ReadonlyArray<{ peerId: string; uploadKbps: number }>): void {
    for (const { peerId, uploadKbps } of peers) {
      this.kbpsByPeer.delete(peerId);
      this.kbpsByPeer.set(peerId, uploadKbps);
      dropOldest(this.kbpsByPeer, MAX_ANNOUNCED_UPLINKS);
    }
  }

  /** What the peer announced, bytes/s; null when it is not known or announced nothing. */
  bytesPerSecOf(peerId: string): number | null {
    const kbps = this.kbpsByPeer.get(peerId);
    return kbps ? kbps * 125 : null;
  }
}
