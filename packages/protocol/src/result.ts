/** Decoders never throw: they return a Result whose error names what was wrong. */
export type Result<T, E = ProtocolError> = { ok: true; value: T } | { ok: false; error: E };

export type ProtocolErrorCode =
  | 'too_large'
  | 'bad_json'
  | 'bad_message'
  | 'unknown_type'
  | 'unsupported_version'
  | 'truncated'
  | 'trailing_bytes'
  | 'bad_value'
  | 'bad_signature'
  | 'hash_mismatch';

export interface ProtocolError {
  readonly code: ProtocolErrorCode;
  readonly message: string;
}

export function ok<T>(value: T): Result<T, never> {
  return { ok: true, value };
}

export function err(code: ProtocolErrorCode, message: string): Result<never, ProtocolError> {
  return { ok: false, error: { code, message } };
}
