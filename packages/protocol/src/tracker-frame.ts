import { err, ok, type Result } from './result.js';
import type { ClientMessage, ServerMessage } from './tracker-messages.js';
import { TRACKER_PROTOCOL_VERSION } from './version.js';

/**
 * What both directions of the tracker's WebSocket share, free of any schema library so that a
 * browser bundle carries none: the limits, the enumerations, the frame prelude (size, JSON, a
 * known `type`) and the encoder. The message shapes are in `tracker-messages.ts` (zod, for the
 * tracker) and `server-messages.ts` (the player's decoder of what the tracker sends).
 */

/** Largest text frame either side accepts; the tracker closes connections that send more. */
export const MAX_TRACKER_MESSAGE_BYTES = 64 * 1024;
/** Longest list of sequence numbers in one message (have deltas, needs, peer holdings). */
export const MAX_SEQUENCES_PER_MESSAGE = 1024;
/** Most peers a tracker returns in one `peers` answer. */
export const MAX_PEERS_PER_ANSWER = 50;
export const MAX_SDP_BYTES = 32 * 1024;
/** A signalling `connectionId`. */
export const CONNECTION_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const CONNECTION_TYPES = ['ethernet', 'wifi', 'cellular', 'unknown'] as const;
export const REPORT_REASONS = ['integrity', 'protocol', 'timeout'] as const;
export const PEER_GONE_REASONS = ['left', 'banned', 'timeout'] as const;
export const TRACKER_ERROR_CODES = [
  'too_large',
  'bad_json',
  'bad_message',
  'unknown_type',
  'unsupported_version',
  'unauthorized',
  'token_expired',
  'forbidden_swarm',
  'not_joined',
  'unknown_peer',
  'no_pending_offer',
  'rate_limited',
  'banned',
  'internal',
] as const;

export interface TrackerFrame {
  readonly type: string;
  readonly body: Record<string, unknown>;
}

/** Size, JSON and a `type` among `knownTypes`: the checks before a message's own shape. */
export function readTrackerFrame(
  text: string,
  knownTypes: ReadonlySet<string>,
): Result<TrackerFrame> {
  // A JS string's length bounds its UTF-8 size from below; 3x bounds it from above, so most
  // messages need no count.
  if (
    text.length > MAX_TRACKER_MESSAGE_BYTES ||
    (text.length * 3 > MAX_TRACKER_MESSAGE_BYTES && utf8Length(text) > MAX_TRACKER_MESSAGE_BYTES)
  ) {
    return err('too_large', `message exceeds ${MAX_TRACKER_MESSAGE_BYTES} bytes`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (_error) {
    return err('bad_json', 'message is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return err('bad_message', 'message must be a JSON object');
  }
  const body = parsed as Record<string, unknown>;
  const type = body['type'];
  if (typeof type !== 'string') return err('bad_message', 'message has no string "type"');
  if (!knownTypes.has(type)) {
    return err('unknown_type', `unknown message type "${type.slice(0, 32)}"`);
  }
  return ok({ type, body });
}

export function encodeTrackerMessage(message: ClientMessage | ServerMessage): string {
  return JSON.stringify(message);
}

/** True when a join's `v` is one this build speaks. */
export function isSupportedTrackerVersion(v: number): boolean {
  return v === TRACKER_PROTOCOL_VERSION;
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
