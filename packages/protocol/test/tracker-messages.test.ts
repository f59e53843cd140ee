import { describe, expect, it } from 'vitest';
import {
  decodeClientMessage,
  decodeServerMessage,
  encodeTrackerMessage,
  MAX_TRACKER_MESSAGE_BYTES,
  TRACKER_PROTOCOL_VERSION,
  type ClientMessage,
  type ServerMessage,
} from '../src/index.js';

const swarmId = 'demo/240p';
const clientMessages: ClientMessage[] = [
  {
    type: 'join',
    v: TRACKER_PROTOCOL_VERSION,
    token: 'eyJhbGciOiJFZERTQSJ9.e30.sig',
    swarmId,
    region: 'eu-west',
    uploadKbps: 5000,
    connectionType: 'wifi',
    live: true,
    have: [1, 2, 3],
    peerProtocol: 2,
  },
  { type: 'leave', swarmId },
  { type: 'have', swarmId, added: [4], lost: [1] },
  { type: 'get-peers', swarmId, need: [5, 6], max: 10 },
  {
    type: 'signal',
    swarmId,
    to: 'peer-abcdef',
    signal: { kind: 'offer', connectionId: 'c1', sdp: 'v=0' },
  },
  {
    type: 'signal',
    swarmId,
    to: 'peer-abcdef',
    signal: {
      kind: 'candidate',
      connectionId: 'c1',
      candidate: '',
      sdpMid: null,
      sdpMLineIndex: null,
    },
  },
  { type: 'report', swarmId, peerId: 'peer-abcdef', reason: 'integrity', sequence: 5 },
  {
    type: 'beacon',
    swarmId,
    stats: {
      httpBytes: 1,
      p2pBytes: 2,
      uploadedBytes: 3,
      peers: 1,
      stalls: 0,
      stallMs: 0,
      startupMs: 812,
      fallbacks: 0,
      integrityFailures: 0,
      prefetchWastedBytes: 0,
      bufferSec: 4.5,
    },
  },
  {
    type: 'beacon',
    swarmId,
    stats: {
      httpBytes: 1,
      p2pBytes: 2,
      uploadedBytes: 3,
      peers: 1,
      stalls: 0,
      stallMs: 0,
      startupMs: null,
      fallbacks: 0,
      integrityFailures: 0,
      prefetchWastedBytes: 0,
      bufferSec: null,
      peerAttempts: 4,
      peerFailures: 1,
      relayRefused: 1,
      pairsHost: 0,
      pairsSrflx: 1,
      pairsPrflx: 0,
      pairsRelay: 1,
      pairsUnknown: 0,
      p2pEligible: true,
    },
  },
  { type: 'ping', t: 1 },
];

const serverMessages: ServerMessage[] = [
  { type: 'joined', v: 1, swarmId, peerId: 'peer-123456', heartbeatMs: 30_000 },
  {
    type: 'peers',
    swarmId,
    peers: [
      {
        peerId: 'peer-abcdef',
        region: 'eu-west',
        uploadKbps: 1000,
        connectionType: 'ethernet',
        have: [4],
      },
    ],
  },
  {
    type: 'signal',
    swarmId,
    from: 'peer-abcdef',
    signal: { kind: 'answer', connectionId: 'c1', sdp: 'v=0' },
  },
  { type: 'election', swarmId, epoch: 3, fetchers: ['peer-abcdef', 'peer-123456'], perSegment: 1 },
  { type: 'peer-gone', swarmId, peerId: 'peer-abcdef', reason: 'banned' },
  { type: 'error', code: 'rate_limited', message: 'slow down', ref: 'have', fatal: false },
  { type: 'pong' },
];

describe('tracker messages', () => {
  it.each(clientMessages)('round-trips client $type', (message) => {
    expect(decodeClientMessage(encodeTrackerMessage(message))).toEqual({
      ok: true,
      value: message,
    });
  });

  it.each(serverMessages)('round-trips server $type', (message) => {
    expect(decodeServerMessage(encodeTrackerMessage(message))).toEqual({
      ok: true,
      value: message,
    });
  });

  it('keeps the join message spelling stable (golden JSON)', () => {
    const text = '{"type":"leave","swarmId":"demo/240p"}';
    expect(encodeTrackerMessage({ type: 'leave', swarmId })).toBe(text);
  });

  it('names each kind of bad input', () => {
    expect(decodeClientMessage('{')).toMatchObject({ ok: false, error: { code: 'bad_json' } });
    expect(decodeClientMessage('[]')).toMatchObject({ ok: false, error: { code: 'bad_message' } });
    expect(decodeClientMessage('{"type":"nope"}')).toMatchObject({
      ok: false,
      error: { code: 'unknown_type' },
    });
    expect(decodeClientMessage('{"type":"joined"}')).toMatchObject({
      ok: false,
      error: { code: 'unknown_type' },
    });
    expect(decodeClientMessage('{"type":"leave","swarmId":"no-slash"}')).toMatchObject({
      ok: false,
      error: { code: 'bad_message', message: expect.stringContaining('swarmId') },
    });
    expect(
      decodeClientMessage('{"type":"have","swarmId":"a/b","added":[-1],"lost":[]}'),
    ).toMatchObject({
      ok: false,
      error: { code: 'bad_message', message: expect.stringContaining('added.0') },
    });
    const huge = JSON.stringify({ type: 'ping', pad: 'x'.repeat(MAX_TRACKER_MESSAGE_BYTES) });
    expect(decodeClientMessage(huge)).toMatchObject({ ok: false, error: { code: 'too_large' } });
    // Multi-byte characters count by their UTF-8 size, not their UTF-16 length.
    const wide = JSON.stringify({
      type: 'ping',
      pad: '€'.repeat(MAX_TRACKER_MESSAGE_BYTES / 3 + 10),
    });
    expect(wide.length).toBeLessThan(MAX_TRACKER_MESSAGE_BYTES);
    expect(decodeClientMessage(wide)).toMatchObject({ ok: false, error: { code: 'too_large' } });
  });

  it('takes a join without peerProtocol (older players) and refuses a malformed one', () => {
    const join = clientMessages[0] as Extract<ClientMessage, { type: 'join' }>;
    const { peerProtocol: _omitted, ...older } = join;
    expect(decodeClientMessage(JSON.stringify(older))).toEqual({ ok: true, value: older });
    for (const peerProtocol of [0, 256, 1.5, '2']) {
      expect(decodeClientMessage(JSON.stringify({ ...join, peerProtocol }))).toMatchObject({
        ok: false,
        error: { code: 'bad_message', message: expect.stringContaining('peerProtocol') },
      });
    }
  });

  it('refuses malformed connectivity figures in a beacon, naming the field', () => {
    const beacon = clientMessages.find(
      (message) => message.type === 'beacon' && message.stats.p2pEligible !== undefined,
    ) as Extract<ClientMessage, { type: 'beacon' }>;
    for (const [field, value] of [
      ['peerAttempts', -1],
      ['pairsRelay', 1.5],
      ['pairsSrflx', '2'],
      ['p2pEligible', 1],
    ] as const) {
      const bad = { ...beacon, stats: { ...beacon.stats, [field]: value } };
      expect(decodeClientMessage(JSON.stringify(bad))).toMatchObject({
        ok: false,
        error: { code: 'bad_message', message: expect.stringContaining(field) },
      });
    }
  });

  it('refuses a signal to a malformed peer id or with an oversized SDP', () => {
    const bad = {
      type: 'signal',
      swarmId,
      to: 'x',
      signal: { kind: 'offer', connectionId: 'c', sdp: '' },
    };
    expect(decodeClientMessage(JSON.stringify(bad)).ok).toBe(false);
    const big = {
      ...bad,
      to: 'peer-abcdef',
      signal: { kind: 'offer', connectionId: 'c', sdp: 'a'.repeat(40_000) },
    };
    expect(decodeClientMessage(JSON.stringify(big)).ok).toBe(false);
  });
});
