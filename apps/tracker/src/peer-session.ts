import { randomBytes } from 'node:crypto';
import type { ServerMessage } from '@coral-cdn/protocol';
import { WebSocket } from 'ws';
import { newBeaconMemory, type BeaconMemory } from './beacons.js';
import { StrikeCounter, TokenBucket } from '@coral-cdn/tracker-core';
import type { MemberRecord, RoomId } from '@coral-cdn/tracker-core';

/** Peers a member remembers having been told about (peer-gone goes to them). */
const KNOWN_LIMIT = 1024;
/** Peers a member may exclude from its answers by reporting them. */
const REPORTED_LIMIT = 256;
/** A client that lets this much pile up unread is dropped (it cannot keep up). */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** Address groups counted as served per membership (the election needs only a few). */
export const SERVED_GROUPS_LIMIT = 16;

export interface Membership {
  /** Replaced (not mutated) when the verified upload changes; the store holds a copy. */
  record: MemberRecord;
  readonly streamId: string;
  /** Peers introduced to this member (answers, signalling): told when they go. */
  readonly known: Set<string>;
  /** Peers this member reported: never offered to it again. */
  readonly reported: Set<string>;
  /** Peers it exchanged an offer and answer with through the tracker (its reports count). */
  readonly contacts: Set<string>;
  /** Other address groups whose offers this member answered (its verified upload). */
  readonly served: Set<string>;
  readonly beacon: BeaconMemory;
  /** Highest election epoch sent in this membership (epochs only move forward). */
  electionEpoch: number;
}

export function newMembership(record: MemberRecord, streamId: string, nowMs: number): Membership {
  return {
    record,
    streamId,
    known: new Set(),
    reported: new Set(),
    contacts: new Set(),
    served: new Set(),
    beacon: newBeaconMemory(nowMs),
    electionEpoch: 0,
  };
}

export function remember(set: Set<string>, peerId: string, limit = KNOWN_LIMIT): void {
  set.delete(peerId);
  set.add(peerId);
  if (set.size > limit) set.delete(set.values().next().value!);
}

export function rememberReported(membership: Membership, peerId: string): void {
  remember(membership.reported, peerId, REPORTED_LIMIT);
}

/** A random peer id (16 base64url characters; one per connection). */
export function newPeerId(): string {
  return randomBytes(12).toString('base64url');
}

/** One WebSocket connection: its peer id, limits and swarm memberships. */
export class PeerSession {
  readonly peerId = newPeerId();
  /** By room (rooms.ts): the swarm's part of this connection's peer protocol. */
  readonly memberships = new Map<RoomId, Membership>();
  readonly bucket: TokenBucket;
  readonly strikes: StrikeCounter;
  lastSeenMs: number;
  /** Viewer (token `sub`) this connection joined as; one viewer per connection. */
  viewerId: string | null = null;
  /** Peer protocol version this connection joined with; one per connection. */
  peerProtocol: number | null = null;
  /** Messages of this connection are handled one after another, in order. */
  queue: Promise<void> = Promise.resolve();
  lastRateLimitNoticeMs = 0;
  /** Protocol errors of this connection so far; only the first and a fatal one are logged. */
  protocolErrors = 0;
  /** The tracker is closing this connection: its further messages are ignored. */
  closing = false;
  closed = false;

  constructor(
    private readonly socket: WebSocket,
    readonly ip: string,
    limits: { messagesPerSec: number; burst: number; maxStrikes: number },
    nowMs: number,
    private readonly onSent: (type: string) => void,
  ) {
    this.lastSeenMs = nowMs;
    this.bucket = new TokenBucket(limits.messagesPerSec, limits.burst, nowMs);
    this.strikes = new StrikeCounter(limits.maxStrikes, 60_000);
  }

  send(message: ServerMessage): void {
    this.sendText(JSON.stringify(message), message.type);
  }

  sendText(text: string, type: string): void {
    if (this.closed || this.socket.readyState !== WebSocket.OPEN) return;
    if (this.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.close(1013, 'not reading fast enough');
      return;
    }
    this.socket.send(text);
    this.onSent(type);
  }

  close(code: number, reason: string): void {
    this.closing = true;
    if (
      this.socket.readyState === WebSocket.OPEN ||
      this.socket.readyState === WebSocket.CONNECTING
    ) {
      this.socket.close(code, reason);
      // A peer that never completes the closing handshake is cut after a grace period.
      setTimeout(() => this.socket.terminate(), 2000).unref();
    }
  }
}
