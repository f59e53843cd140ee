import { createHmac, randomBytes } from 'node:crypto';

/** What the operator configured for viewers' WebRTC connectivity (see the README). */
export interface IceSettings {
  stunUrls: readonly string[];
  turnUrls: readonly string[];
  /** TURN REST-API shared secret (coturn `static-auth-secret`); required with `turnUrls`. */
  turnSecret?: string;
  turnCredentialTtlSec: number;
  /**
   * Whether peer traffic may go through the TURN relay. A relay moves the CDN's bytes onto the
   * operator's own TURN bandwidth, so it is off unless the operator says so; while off, viewers
   * get no TURN credentials at all.
   */
  turnForPeers: boolean;
}

export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

export interface PlaybackIce {
  iceServers: IceServer[];
  /** Peer traffic may use relayed candidate pairs (TURN). */
  relayAllowed: boolean;
}

/**
 * TURN REST-API credentials: username `<unix expiry>:<viewer>`, password
 * base64(HMAC-SHA1(secret, username)) — what coturn checks with `use-auth-secret`.
 */
export function turnCredentials(
  secret: string,
  viewer: string,
  ttlSec: number,
  nowMs: number,
): { username: string; credential: string } {
  const username = `${Math.floor(nowMs / 1000) + ttlSec}:${viewer}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

/** The ICE part of one playback answer: STUN always (if set), TURN only when allowed. */
export function playbackIce(
  settings: IceSettings,
  nowMs: number,
  viewer = randomBytes(9).toString('base64url'),
): PlaybackIce {
  const iceServers: IceServer[] = [];
  if (settings.stunUrls.length) iceServers.push({ urls: [...settings.stunUrls] });
  const relayAllowed =
    settings.turnForPeers && settings.turnUrls.length > 0 && settings.turnSecret !== undefined;
  if (relayAllowed)
    iceServers.push({
      urls: [...settings.turnUrls],
      ...turnCredentials(settings.turnSecret!, viewer, settings.turnCredentialTtlSec, nowMs),
    });
  return { iceServers, relayAllowed };
}
