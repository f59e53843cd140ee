import type { TrackerErrorCode } from '@coral-cdn/protocol';
import type { FailOptions, TrackerContext } from './context.js';
import type { PeerSession } from './peer-session.js';

/** Close codes the tracker uses besides the standard ones. */
export const CLOSE_HEARTBEAT_TIMEOUT = 4000;
export const CLOSE_POLICY_VIOLATION = 1008;
export const CLOSE_TOO_LARGE = 1009;
export const CLOSE_GOING_AWAY = 1001;
/** The tracker cannot take this connection now (memory guard): retry later or elsewhere. */
export const CLOSE_TRY_AGAIN_LATER = 1013;

/** Strike-worthy protocol errors: malformed input and abuse, not races with other peers. */
const STRIKE_CODES = new Set<TrackerErrorCode>([
  'too_large',
  'bad_json',
  'bad_message',
  'unknown_type',
  'unauthorized',
  'forbidden_swarm',
  'rate_limited',
]);

/**
 * Send a protocol error; count a strike for malformed input or abuse, and disconnect a
 * connection that collected MAX_STRIKES in a minute (or when the error is fatal).
 */
export function failSession(
  ctx: Pick<TrackerContext, 'deps' | 'log' | 'now'>,
  session: PeerSession,
  code: TrackerErrorCode,
  message: string,
  ref?: string,
  options: FailOptions = {},
): void {
  let fatal = options.fatal ?? false;
  let closeCode = options.closeCode ?? CLOSE_POLICY_VIOLATION;
  if (STRIKE_CODES.has(code) && session.strikes.add(ctx.now()) && !fatal) {
    fatal = true;
    closeCode = CLOSE_POLICY_VIOLATION;
    message = `${message} (too many protocol errors: disconnecting)`;
  }
  ctx.deps.metrics.errors.inc({ code });
  // A log line per bad frame would let one client make the tracker write hundreds of lines a
  // second: the metric counts every error, the log names the connection's first and its fatal one.
  const errorsOnConnection = ++session.protocolErrors;
  if (!options.quiet && (errorsOnConnection === 1 || fatal)) {
    ctx.log.warn('protocol error', {
      peerId: session.peerId,
      ip: session.ip,
      code,
      message,
      ref,
      fatal,
      errorsOnConnection,
    });
  }
  session.send({
    type: 'error',
    code,
    message: message.slice(0, 1024),
    ...(ref === undefined ? {} : { ref: ref.slice(0, 32) }),
    ...(fatal ? { fatal: true } : {}),
  });
  if (fatal) {
    ctx.deps.metrics.disconnects.inc({ reason: code });
    session.close(closeCode, code);
  }
}
