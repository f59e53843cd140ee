import {
  at,
  bool,
  decodeWithChecks,
  fail,
  list,
  oneOf,
  optionalInto,
  record,
  region,
  streamId,
  text,
} from './decode-checks.js';
import type { IceServerInfo, PlaybackInfo } from './playback.js';
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

/** One RTCIceServer-shaped entry, as `iceServerSchema`. */
function iceServer(value: unknown, path: string): IceServerInfo {
  const body = record(value, path);
  const rawUrls = body['urls'];
  const urlsPath = at(path, 'urls');
  const urls = Array.isArray(rawUrls)
    ? rawUrls.length === 0
      ? fail(urlsPath, 'expected at least 1 URL')
      : list(rawUrls, urlsPath, 8, (entry, entryPath) => text(entry, entryPath, { min: 1 }))
    : text(rawUrls, urlsPath, { min: 1 });
  const server: IceServerInfo = { urls };
  const fields = server as Record<string, unknown>;
  const short = (entry: unknown, entryPath: string) => text(entry, entryPath, { max: 256 });
  optionalInto(fields, body, 'username', path, short);
  optionalInto(fields, body, 'credential', path, short);
  return server;
}

function playbackInfo(value: unknown): PlaybackInfo {
  const body = record(value, '');
  const edge = record(body['edge'], 'edge');
  const info: PlaybackInfo = {
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
  const fields = info as Record<string, unknown>;
  optionalInto(fields, body, 'iceServers', '', (entry, path) => list(entry, path, 8, iceServer));
  optionalInto(fields, body, 'relayAllowed', '', bool);
  return info;
}

/** Check a playback info body (already parsed JSON). Never throws. */
export function decodePlaybackInfo(value: unknown): Result<PlaybackInfo> {
  return decodeWithChecks('playback info', () => playbackInfo(value));
}
