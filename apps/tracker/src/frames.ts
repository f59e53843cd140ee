import {
  decodeClientMessage,
  type ClientMessage,
  type TrackerErrorCode,
} from '@coral-cdn/protocol';
import { checkFrameShape, CLIENT_FRAME_LIMITS } from '@coral-cdn/tracker-core';
import type { TrackerContext } from './context.js';
import type { PeerSession } from './peer-session.js';
import { CLOSE_TOO_LARGE } from './protocol-errors.js';

/**
 * Check one WebSocket frame of a connection: size, rate, text, shape, schema. Returns the
 * decoded message, or null when the frame was refused (the error is sent, strikes counted).
 */
export function readFrame(
  ctx: TrackerContext,
  session: PeerSession,
  data: Buffer,
  isBinary: boolean,
  nowMs: number,
): ClientMessage | null {
  const { config, metrics } = ctx.deps;
  if (data.byteLength > config.MAX_MESSAGE_BYTES) {
    metrics.messagesReceived.inc({ type: 'invalid' });
    ctx.fail(
      session,
      'too_large',
      `message of ${data.byteLength} bytes exceeds ${config.MAX_MESSAGE_BYTES}`,
      undefined,
      { fatal: true, closeCode: CLOSE_TOO_LARGE },
    );
    return null;
  }
  if (!session.bucket.take(nowMs)) {
    metrics.messagesReceived.inc({ type: 'rate_limited' });
    // One notice (and one strike) per second of flooding, not one per dropped message.
    if (nowMs - session.lastRateLimitNoticeMs >= 1000) {
      session.lastRateLimitNoticeMs = nowMs;
      ctx.fail(
        session,
        'rate_limited',
        `more than ${config.MESSAGES_PER_SEC} messages per second; message dropped`,
      );
    }
    return null;
  }
  if (isBinary) {
    metrics.messagesReceived.inc({ type: 'invalid' });
    ctx.fail(session, 'bad_message', 'binary frames are not accepted; send JSON text');
    return null;
  }
  const text = data.toString('utf8');
  // Before parsing: a frame padded beyond any message's shape costs no parse, and a strike.
  const shape = checkFrameShape(text, CLIENT_FRAME_LIMITS);
  if (!shape.ok) {
    metrics.messagesReceived.inc({ type: 'invalid' });
    ctx.fail(session, 'bad_message', shape.message, guessType(text));
    return null;
  }
  const decoded = decodeClientMessage(text);
  if (!decoded.ok) {
    metrics.messagesReceived.inc({ type: 'invalid' });
    const code = decoded.error.code as TrackerErrorCode;
    ctx.fail(session, code, decoded.error.message, guessType(text), {
      fatal: code === 'too_large',
      closeCode: CLOSE_TOO_LARGE,
    });
    return null;
  }
  metrics.messagesReceived.inc({ type: decoded.value.type });
  return decoded.value;
}

function guessType(text: string): string | undefined {
  const match = /"type"\s*:\s*"([A-Za-z0-9_-]{1,32})"/.exec(text.slice(0, 4096));
  return match?.[1];
}
