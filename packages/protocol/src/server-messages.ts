import {
  at,
  bool,
  decodeWithChecks,
  fail,
  integer,
  list,
  nullable,
  number,
  oneOf,
  optionalInto,
  peerId,
  record,
  region,
  sequence,
  swarmId,
  text,
} from './decode-checks.js';
import type { Result } from './result.js';
import {
  CONNECTION_ID_PATTERN,
  CONNECTION_TYPES,
  MAX_PEERS_PER_ANSWER,
  MAX_SDP_BYTES,
  MAX_SEQUENCES_PER_MESSAGE,
  PEER_GONE_REASONS,
  readTrackerFrame,
  TRACKER_ERROR_CODES,
} from './tracker-frame.js';
import type { PeerInfo, ServerMessage, SignalPayload } from './tracker-messages.js';

/**
 * The player's decoder of what the tracker sends, written without a schema library so that a
 * page's bundle stays small. It accepts exactly what `serverMessageSchema` accepts (the
 * differential test in test/browser-decoders.test.ts holds it to that) and, like zod, keeps
 * only the known fields.
 */

type Body = Record<string, unknown>;

const sequences = (value: unknown, path: string): number[] =>
  list(value, path, MAX_SEQUENCES_PER_MESSAGE, sequence);

const connectionId = (value: unknown, path: string): string =>
  text(value, path, { pattern: CONNECTION_ID_PATTERN, what: 'connection id' });

function signalPayload(value: unknown, path: string): SignalPayload {
  const body = record(value, path);
  const kind = body['kind'];
  if (kind === 'offer' || kind === 'answer') {
    return {
      kind,
      connectionId: connectionId(body['connectionId'], at(path, 'connectionId')),
      sdp: text(body['sdp'], at(path, 'sdp'), { max: MAX_SDP_BYTES }),
    };
  }
  if (kind === 'candidate') {
    return {
      kind,
      connectionId: connectionId(body['connectionId'], at(path, 'connectionId')),
      candidate: text(body['candidate'], at(path, 'candidate'), { max: 2048 }),
      sdpMid: nullable(body['sdpMid'], at(path, 'sdpMid'), (v, p) => text(v, p, { max: 64 })),
      sdpMLineIndex: nullable(body['sdpMLineIndex'], at(path, 'sdpMLineIndex'), (v, p) =>
        integer(v, p, 0, 255),
      ),
    };
  }
  return fail(at(path, 'kind'), 'expected offer, answer or candidate');
}

function peerInfo(value: unknown, path: string): PeerInfo {
  const body = record(value, path);
  return {
    peerId: peerId(body['peerId'], at(path, 'peerId')),
    region: region(body['region'], at(path, 'region')),
    uploadKbps: integer(body['uploadKbps'], at(path, 'uploadKbps'), 0),
    connectionType: oneOf(body['connectionType'], at(path, 'connectionType'), CONNECTION_TYPES),
    have: sequences(body['have'], at(path, 'have')),
  };
}

const shapes: Record<ServerMessage['type'], (body: Body) => ServerMessage> = {
  joined: (body) => ({
    type: 'joined',
    v: integer(body['v'], 'v', Number.MIN_SAFE_INTEGER),
    swarmId: swarmId(body['swarmId'], 'swarmId'),
    peerId: peerId(body['peerId'], 'peerId'),
    heartbeatMs: integer(body['heartbeatMs'], 'heartbeatMs', 1),
  }),
  peers: (body) => ({
    type: 'peers',
    swarmId: swarmId(body['swarmId'], 'swarmId'),
    peers: list(body['peers'], 'peers', MAX_PEERS_PER_ANSWER, peerInfo),
  }),
  signal: (body) => {
    const message: Body = {
      type: 'signal',
      swarmId: swarmId(body['swarmId'], 'swarmId'),
      from: peerId(body['from'], 'from'),
      signal: signalPayload(body['signal'], 'signal'),
    };
    optionalInto(message, body, 'uploadKbps', '', (v, p) => integer(v, p, 0));
    return message as ServerMessage;
  },
  election: (body) => ({
    type: 'election',
    swarmId: swarmId(body['swarmId'], 'swarmId'),
    epoch: integer(body['epoch'], 'epoch', 0),
    fetchers: list(body['fetchers'], 'fetchers', 64, peerId),
    perSegment: integer(body['perSegment'], 'perSegment', 1, 8),
  }),
  'peer-gone': (body) => ({
    type: 'peer-gone',
    swarmId: swarmId(body['swarmId'], 'swarmId'),
    peerId: peerId(body['peerId'], 'peerId'),
    reason: oneOf(body['reason'], 'reason', PEER_GONE_REASONS),
  }),
  error: (body) => {
    const message: Body = {
      type: 'error',
      code: oneOf(body['code'], 'code', TRACKER_ERROR_CODES),
      message: text(body['message'], 'message', { max: 1024 }),
    };
    optionalInto(message, body, 'ref', '', (v, p) => text(v, p, { max: 32 }));
    optionalInto(message, body, 'fatal', '', bool);
    return message as ServerMessage;
  },
  pong: (body) => {
    const message: Body = { type: 'pong' };
    optionalInto(message, body, 't', '', (v, p) => number(v, p, 0));
    return message as ServerMessage;
  },
};

const serverTypes = new Set<string>(Object.keys(shapes));

/** Decode a frame the tracker sent. Never throws. */
export function decodeServerMessage(text: string): Result<ServerMessage> {
  const frame = readTrackerFrame(text, serverTypes);
  if (!frame.ok) return frame;
  const { type, body } = frame.value;
  const shape = shapes[type as ServerMessage['type']];
  return decodeWithChecks(type, () => shape(body));
}
