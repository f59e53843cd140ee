import { CoralError } from '@coral-cdn/server-kit';

/** An error with the HTTP status the API answers with; `code` names the problem. */
export class OriginError extends CoralError {
  constructor(
    code: string,
    message: string,
    readonly httpStatus: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** 503/429 with a `Retry-After`: the origin is at a configured cap, try again later. */
export class BusyError extends OriginError {
  constructor(
    code: string,
    message: string,
    readonly retryAfterSec: number,
    httpStatus: 429 | 503 = 503,
  ) {
    super(code, message, httpStatus);
  }
}

export const badRequest = (code: string, message: string) => new OriginError(code, message, 400);
export const notFound = (code: string, message: string) => new OriginError(code, message, 404);
export const conflict = (code: string, message: string) => new OriginError(code, message, 409);
export const unprocessable = (code: string, message: string) => new OriginError(code, message, 422);

/** ffmpeg or ffprobe failed or could not run. */
export class FfmpegError extends CoralError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ffmpeg_failed', message, options);
  }
}

/** A job was stopped on purpose (cancelled, or the origin is shutting down). */
export class AbortedError extends CoralError {
  constructor(message = 'aborted') {
    super('aborted', message);
  }
}
