import type { TrackerErrorCode } from '@coral-cdn/protocol';
import { CoralError } from '@coral-cdn/server-kit';

/** A viewer token was refused; `code` is the protocol error code the client receives. */
export class TokenError extends CoralError {
  constructor(
    override readonly code: Extract<
      TrackerErrorCode,
      'unauthorized' | 'token_expired' | 'internal'
    >,
    message: string,
    cause?: unknown,
  ) {
    super(code, message, { cause });
  }
}

/** A client message broke a rule; the client gets `code` as a protocol error. */
export class ProtocolViolation extends CoralError {
  constructor(
    override readonly code: TrackerErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}
