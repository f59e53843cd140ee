import { playbackInfoSchema, type PlaybackInfo } from '@coral-cdn/protocol';
import { NodePeerError } from './errors.js';

const MAX_BODY_CHARS = 64 * 1024;

/** `GET <origin>/api/playback/<id>?region=<region>`, checked against the protocol's schema. */
export async function fetchPlaybackInfo(options: {
  originUrl: string;
  streamId: string;
  region?: string;
  signal?: AbortSignal;
}): Promise<PlaybackInfo> {
  const url = new URL(
    `api/playback/${encodeURIComponent(options.streamId)}`,
    options.originUrl.endsWith('/') ? options.originUrl : `${options.originUrl}/`,
  );
  if (options.region !== undefined) url.searchParams.set('region', options.region);
  let response: Response;
  try {
    response = await fetch(url, options.signal ? { signal: options.signal } : {});
  } catch (error) {
    throw new NodePeerError('playback_api', `GET ${url.href} failed: ${String(error)}`, {
      cause: error,
    });
  }
  const text = (await response.text().catch(() => '')).slice(0, MAX_BODY_CHARS);
  if (!response.ok) {
    throw new NodePeerError(
      'playback_api',
      `GET ${url.href} answered ${response.status}: ${text.slice(0, 200)}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (_error) {
    throw new NodePeerError('playback_api', `GET ${url.href} did not answer JSON`);
  }
  const parsed = playbackInfoSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new NodePeerError(
      'playback_api',
      `GET ${url.href}: not playback info (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'})`,
    );
  }
  return parsed.data;
}
