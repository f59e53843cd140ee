import type { SignalPayload, SignedPartHash, SignedSegmentHash } from '@coral-cdn/protocol';
import type { PartName } from './part-key.js';
import type { PeerSession } from './peer-session.js';
import type { PeerCloseReason } from './peer-session-types.js';
import type { PeerConnectionLike, IceCandidate, TimerId } from './platform.js';

/** The shapes the peer manager works with: one connection being set up or open, its events. */
export interface Connection {
  readonly remoteId: string;
  readonly swarmId: string;
  readonly connectionId: string;
  readonly role: 'offerer' | 'answerer';
  readonly pc: PeerConnectionLike;
  remoteDescriptionSet: boolean;
  queuedCandidates: IceCandidate[];
  /** Local candidates wait until our offer or answer has gone out: the tracker relays a
   * connection's candidates only once it has seen the offer (and stacks gather while the
   * local description is being set, before we could send it). */
  descriptionSent: boolean;
  queuedLocalCandidates: SignalPayload[];
  connectTimer: TimerId | null;
  session: PeerSession | null;
}

export interface PeerManagerEvents {
  'peer-connected': (session: PeerSession) => void;
  'peer-closed': (peerId: string, reason: PeerCloseReason) => void;
  'peer-have': (session: PeerSession, rendition: string, sequences: number[]) => void;
  /** A peer sent a live segment's signed entry (to check: it may be forged). */
  'peer-signed': (session: PeerSession, rendition: string, hash: SignedSegmentHash) => void;
  /** A peer now holds an LL-HLS part. */
  'peer-part-have': (session: PeerSession, name: PartName) => void;
  /** A peer sent an LL-HLS part's signed entry (to check: it may be forged). */
  'peer-part-signed': (session: PeerSession, rendition: string, hash: SignedPartHash) => void;
  uploaded: (bytes: number) => void;
  /** Discovery moved on: the tracker answered, or a connection attempt ended without a channel. */
  discovery: () => void;
}
