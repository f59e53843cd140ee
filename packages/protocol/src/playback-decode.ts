import {
  at,
  decodeWithChecks,
  fail,
  oneOf,
  record,
  region,
  streamId,
  text,
} from './decode-checks.js';
import type { PlaybackInfo } from './playback.js';
import type { Result } from './result.js';

/**
 * The player's decoder of the origin's playback info (`GET /api/playback/<id>`), without a
 * schema library; it accepts what `playbackInfoSchema` accepts (see the differential test).
 */

/** The WHATWG URL parser: a global of every runtime Coral runs in (this build has no DOM types). */
declare const URL: new (input: string) => unknown;

export const PUBLIC_KEY_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** As zod's `url()`: any URL the platform parses, trimmed, tabs and newlines dropped. */
function url(value: unknown, path: string): string {
  const trimmed = text(value, path).trim();
  try {
    new URL(trimmed);
  } catch (_error) {
    fail(path, 'not a valid URL');
  }
  return trimmed.replace(/[\t\n\r]/g, '');
}

function playbackInfo(value: unknown): PlaybackInfo {
  const body = record(value, '');
  const edge = record(body['edge'], 'edge');
  return {
    id: text(body['id'], 'id', { min: 1, max: 64 }),
    kind: oneOf(body['kind'], 'kind', ['vod', 'live'] as const),
    manifestUrl: url(body['manifestUrl'], 'manifestUrl'),
    edge: {
      url: url(edge['url'], 'edge.url'),
      region: region(edge['region'], at('edge', 'region')),
    },
    trackerUrl: url(body['trackerUrl'], 'trackerUrl'),
    token: text(body['token'], 'token', { min: 1 }),
    tokenExpiresAt: text(body['tokenExpiresAt'], 'tokenExpiresAt'),
    swarmId: streamId(body['swarmId'], 'swarmId'),
    publicKey: text(body['publicKey'], 'publicKey', {
      pattern: PUBLIC_KEY_PATTERN,
      what: 'public key (43 base64url)',
    }),
  };
}

/** Check a playback info body (already parsed JSON). Never throws. */
export function decodePlaybackInfo(value: unknown): Result<PlaybackInfo> {
  return decodeWithChecks('playback info', () => playbackInfo(value));
}
