/** Typed engine errors: `code` is stable, `message` is for people. */
export type EngineErrorCode =
  | 'aborted'
  | 'destroyed'
  | 'http_error'
  | 'network_error'
  | 'integrity'
  | 'peer_absent'
  | 'peer_timeout'
  | 'peer_closed'
  | 'peer_protocol'
  | 'no_integrity_info'
  | 'config';

export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EngineError';
  }
}

export class AbortedError extends EngineError {
  constructor(message = 'aborted') {
    super('aborted', message);
    this.name = 'AbortedError';
  }
}

export class HttpError extends EngineError {
  constructor(
    readonly status: number,
    readonly url: string,
  ) {
    super('http_error', `HTTP ${status} for ${url}`);
    this.name = 'HttpError';
  }
}

export function isAborted(error: unknown): boolean {
  return error instanceof EngineError && (error.code === 'aborted' || error.code === 'destroyed');
}
