import { decodePlaybackInfo, type PlaybackInfo } from '@coral-cdn/protocol';

export class PlaybackInfoError extends Error {
  constructor(
    message: string,
    /** HTTP status of the origin's answer; 0 when it could not be reached. */
    readonly status: number,
    /** The origin's error code (`unknown_id`, `not_ready`, …) when it sent one. */
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'PlaybackInfoError';
  }
}

/**
 * Ask the origin how to play a stream: `GET <originUrl>/api/playback/<id>` → the edge's
 * master playlist URL, the tracker URL, a viewer token, the swarm id and the key that signs
 * segment hashes. The answer is validated; a bad one throws PlaybackInfoError.
 */
export async function fetchPlaybackInfo(
  originUrl: string,
  id: string,
  options: { fetch?: typeof fetch; region?: string; signal?: AbortSignal } = {},
): Promise<PlaybackInfo> {
  const doFetch = options.fetch ?? fetch;
  const url = new URL(`api/playback/${encodeURIComponent(id)}`, originUrl.replace(/\/*$/, '/'));
  if (options.region) url.searchParams.set('region', options.region);
  let response: Response;
  try {
    response = await doFetch(url.toString(), {
      cache: 'no-store',
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    throw new PlaybackInfoError(
      `cannot reach the origin at ${originUrl}: ${error instanceof Error ? error.message : String(error)}`,
      0,
    );
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch (_error) {
    throw new PlaybackInfoError(
      `the origin answered ${response.status} without JSON`,
      response.status,
    );
  }
  if (!response.ok) {
    const error = (typeof body === 'object' && body !== null ? body : {}) as {
      error?: unknown;
      message?: unknown;
    };
    const message = typeof error.message === 'string' ? error.message : `HTTP ${response.status}`;
    const code = typeof error.error === 'string' ? error.error : null;
    throw new PlaybackInfoError(`playback of "${id}": ${message}`, response.status, code);
  }
  const decoded = decodePlaybackInfo(body);
  if (!decoded.ok) {
    throw new PlaybackInfoError(
      `the origin's playback info is invalid: ${decoded.error.message}`,
      response.status,
    );
  }
  return decoded.value;
}
