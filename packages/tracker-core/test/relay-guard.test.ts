import type { SignalPayload } from '@coral-cdn/protocol';
import { describe, expect, it } from 'vitest';
import { RelayGuard } from '../src/relay-guard.js';
import { roomId } from '../src/rooms.js';

const offer = (connectionId: string): SignalPayload => ({
  kind: 'offer',
  connectionId,
  sdp: 'v=0 offer',
});
const answer = (connectionId: string): SignalPayload => ({
  kind: 'answer',
  connectionId,
  sdp: 'v=0 answer',
});
const candidate = (connectionId: string): SignalPayload => ({
  kind: 'candidate',
  connectionId,
  candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host',
  sdpMid: '0',
  sdpMLineIndex: 0,
});

const room = roomId('s/r', 1);

describe('RelayGuard (the rules, with a fake clock)', () => {
  const options = { offerTimeoutMs: 1000, candidateWindowMs: 500, maxPendingOffersPerPeer: 2 };

  it('passes an answer only for a pending offer, once', () => {
    const guard = new RelayGuard(options);
    expect(guard.check(room, 'B', 'A', answer('c1'), 0)).toMatchObject({
      ok: false,
      code: 'no_pending_offer',
    });
    expect(guard.check(room, 'A', 'B', offer('c1'), 0).ok).toBe(true);
    expect(guard.check(room, 'C', 'A', answer('c1'), 1).ok).toBe(false);
    expect(guard.check(room, 'B', 'A', answer('c2'), 1).ok).toBe(false);
    expect(guard.check(roomId('other/r', 1), 'B', 'A', answer('c1'), 1).ok).toBe(false);
    expect(guard.check(room, 'B', 'A', answer('c1'), 1).ok).toBe(true);
    expect(guard.check(room, 'B', 'A', answer('c1'), 2)).toMatchObject({
      ok: false,
      code: 'no_pending_offer',
    });
  });

  it('passes candidates both ways while pending and within the window after the answer', () => {
    const guard = new RelayGuard(options);
    expect(guard.check(room, 'A', 'B', candidate('c1'), 0).ok).toBe(false);
    guard.check(room, 'A', 'B', offer('c1'), 0);
    expect(guard.check(room, 'A', 'B', candidate('c1'), 10).ok).toBe(true);
    expect(guard.check(room, 'B', 'A', candidate('c1'), 10).ok).toBe(true);
    expect(guard.check(room, 'C', 'B', candidate('c1'), 10).ok).toBe(false);
    guard.check(room, 'B', 'A', answer('c1'), 100);
    expect(guard.check(room, 'B', 'A', candidate('c1'), 599).ok).toBe(true);
    expect(guard.check(room, 'A', 'B', candidate('c1'), 600).ok).toBe(false);
  });

  it('re-opens an answered attempt when the same offer is sent again (renegotiation)', () => {
    const guard = new RelayGuard(options);
    guard.check(room, 'A', 'B', offer('c1'), 0);
    guard.check(room, 'B', 'A', answer('c1'), 1);
    expect(guard.check(room, 'B', 'A', answer('c1'), 2).ok).toBe(false);
    expect(guard.check(room, 'A', 'B', offer('c1'), 3).ok).toBe(true);
    expect(guard.check(room, 'B', 'A', answer('c1'), 4).ok).toBe(true);
  });

  it('expires unanswered offers and caps pending offers per peer', () => {
    const guard = new RelayGuard(options);
    guard.check(room, 'A', 'B', offer('c1'), 0);
    expect(guard.check(room, 'B', 'A', answer('c1'), 1000).ok).toBe(false);
    guard.check(room, 'A', 'B', offer('c2'), 1000);
    guard.check(room, 'A', 'C', offer('c3'), 1000);
    expect(guard.check(room, 'A', 'D', offer('c4'), 1000)).toMatchObject({
      ok: false,
      code: 'rate_limited',
    });
    // An answered attempt no longer counts as pending.
    guard.check(room, 'B', 'A', answer('c2'), 1001);
    expect(guard.check(room, 'A', 'D', offer('c4'), 1001).ok).toBe(true);
    guard.forgetPeer('A');
    expect(guard.size).toBe(0);
  });
});
