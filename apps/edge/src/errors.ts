import { CoralError } from '@coral-cdn/server-kit';

/** The origin could not be reached or did not answer in time, after every retry. */
export class OriginUnavailableError extends CoralError {
  constructor(
    readonly kind: 'timeout' | 'unreachable',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(kind === 'timeout' ? 'origin_timeout' : 'origin_unreachable', message, options);
  }

  /** What a client is told: 504 Gateway Timeout or 502 Bad Gateway. */
  get status(): 502 | 504 {
    return this.kind === 'timeout' ? 504 : 502;
  }
}

/** The origin's body ended early or broke off: shorter than Content-Length, reset, stalled. */
export class OriginBodyError extends CoralError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('origin_body_incomplete', message, options);
  }
}

/** The fast lane cannot sit in front of this server (it has no node:http connection listener). */
export class FastLaneError extends CoralError {
  constructor(message: string) {
    super('fast_lane_unavailable', message);
  }
}
