import type { SignalPayload } from '@coral-cdn/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  joinedClient,
  makeKeys,
  signToken,
  startTracker,
  type RunningTracker,
  type TestClient,
  type TokenKeys,
} from './support.js';

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

describe('signalling relay over WebSocket', () => {
  let keys: TokenKeys;
  let tracker: RunningTracker;
  let a: TestClient;
  let b: TestClient;
  let c: TestClient;
  let outsider: TestClient;
  const swarmId = 'relay/720p';

  beforeAll(async () => {
    keys = await makeKeys();
    tracker = await startTracker(keys, { CANDIDATE_WINDOW_MS: '300' });
    const token = await signToken(keys, { stream: 'relay' });
    a = await joinedClient(tracker.wsUrl, { swarmId, token });
    b = await joinedClient(tracker.wsUrl, { swarmId, token });
    c = await joinedClient(tracker.wsUrl, { swarmId, token });
    outsider = await joinedClient(tracker.wsUrl, { swarmId: 'relay/480p', token });
  });

  afterAll(async () => {
    for (const client of [a, b, c, outsider]) client.close();
    await tracker.close();
  });

  it('relays offer, answer and candidates of one attempt between members of one swarm', async () => {
    a.send({ type: 'signal', swarmId, to: b.peerId, signal: offer('x1') });
    // The offer carries the upload its sender announced: the answerer has no other source.
    expect(await b.next('signal')).toEqual({
      type: 'signal',
      swarmId,
      from: a.peerId,
      signal: offer('x1'),
      uploadKbps: 5000,
    });
    a.send({ type: 'signal', swarmId, to: b.peerId, signal: candidate('x1') });
    const relayedCandidate = await b.nextOf('signal', (m) => m.signal.kind === 'candidate');
    expect(relayedCandidate).not.toHaveProperty('uploadKbps');
    b.send({ type: 'signal', swarmId, to: a.peerId, signal: answer('x1') });
    expect(await a.next('signal')).toEqual({
      type: 'signal',
      swarmId,
      from: b.peerId,
      signal: answer('x1'),
    });
    b.send({ type: 'signal', swarmId, to: a.peerId, signal: candidate('x1') });
    await a.nextOf('signal', (m) => m.signal.kind === 'candidate');
  });

  it('refuses an answer without a pending offer, and a second answer', async () => {
    c.send({ type: 'signal', swarmId, to: a.peerId, signal: answer('nope') });
    expect(await c.next('error')).toMatchObject({ code: 'no_pending_offer', ref: 'signal' });
    b.send({ type: 'signal', swarmId, to: a.peerId, signal: answer('x1') });
    expect(await b.next('error')).toMatchObject({ code: 'no_pending_offer' });
    // C cannot answer an offer that went to B.
    a.send({ type: 'signal', swarmId, to: b.peerId, signal: offer('x2') });
    await b.nextOf('signal', (m) => m.signal.connectionId === 'x2');
    c.send({ type: 'signal', swarmId, to: a.peerId, signal: answer('x2') });
    await c.upcoming('error');
    await a.sync();
    expect(a.all('signal').some((m) => m.signal.connectionId === 'x2')).toBe(false);
  });

  it('stops candidates after the window that follows the answer', async () => {
    a.send({ type: 'signal', swarmId, to: b.peerId, signal: offer('x3') });
    await b.nextOf('signal', (m) => m.signal.connectionId === 'x3');
    b.send({ type: 'signal', swarmId, to: a.peerId, signal: answer('x3') });
    await a.nextOf('signal', (m) => m.signal.connectionId === 'x3');
    await new Promise((resolve) => setTimeout(resolve, 400));
    b.send({ type: 'signal', swarmId, to: a.peerId, signal: candidate('x3') });
    expect(await b.upcoming('error')).toMatchObject({ code: 'no_pending_offer' });
  });

  it('refuses peers outside the swarm and unknown peers with unknown_peer', async () => {
    a.send({ type: 'signal', swarmId, to: outsider.peerId, signal: offer('x4') });
    expect(await a.upcoming('error')).toMatchObject({ code: 'unknown_peer' });
    a.send({ type: 'signal', swarmId, to: 'NoSuchPeer123', signal: offer('x5') });
    expect(await a.upcoming('error')).toMatchObject({ code: 'unknown_peer' });
    outsider.send({ type: 'signal', swarmId, to: a.peerId, signal: offer('x6') });
    expect(await outsider.upcoming('error')).toMatchObject({ code: 'not_joined' });
    await outsider.sync();
    expect(outsider.all('signal')).toHaveLength(0);
  });

  it('tells a signalling partner (never listed to it) when the other side goes', async () => {
    const token = await signToken(keys, { stream: 'relay' });
    const d = await joinedClient(tracker.wsUrl, { swarmId, token });
    d.send({ type: 'signal', swarmId, to: c.peerId, signal: offer('x7') });
    await c.nextOf('signal', (m) => m.signal.connectionId === 'x7');
    d.close();
    expect(await c.nextOf('peer-gone', (m) => m.peerId === d.peerId)).toMatchObject({
      reason: 'left',
    });
  });

  it('records relay latency in /metrics', async () => {
    const text = await (await fetch(`${tracker.httpUrl}/metrics`)).text();
    const count = /coral_tracker_relay_latency_seconds_count\{[^}]*path="local"[^}]*\} (\d+)/.exec(
      text,
    );
    expect(Number(count?.[1])).toBeGreaterThanOrEqual(6);
  });
});
