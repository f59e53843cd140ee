import { z } from 'zod';
import { regionSchema, streamIdSchema } from './id-schemas.js';
import { PUBLIC_KEY_PATTERN } from './playback-decode.js';

/**
 * `GET /api/playback/<id>` on the origin: everything a player needs to start.
 * The engine joins the tracker swarm `<swarmId>/<rendition>` for each rendition it plays.
 */
export const iceServerSchema = z.object({
  urls: z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(8)]),
  username: z.string().max(256).optional(),
  credential: z.string().max(256).optional(),
});
export type IceServerInfo = z.infer<typeof iceServerSchema>;

export const playbackInfoSchema = z.object({
  id: z.string().min(1).max(64),
  kind: z.enum(['vod', 'live']),
  /** Master playlist on the edge chosen for the viewer's region. */
  manifestUrl: z.string().url(),
  edge: z.object({ url: z.string().url(), region: regionSchema }),
  trackerUrl: z.string().url(),
  /** Viewer token (JWT, EdDSA) the tracker verifies on join. */
  token: z.string().min(1),
  tokenExpiresAt: z.string(),
  swarmId: streamIdSchema,
  /** base64url raw Ed25519 public key that signs the integrity manifests. */
  publicKey: z.string().regex(PUBLIC_KEY_PATTERN),
  /**
   * STUN/TURN servers for the viewer's peer connections (RTCIceServer shape); TURN entries carry
   * short-lived credentials. Absent: the player's own setting.
   */
  iceServers: z.array(iceServerSchema).max(8).optional(),
  /** Whether peer traffic may go through a TURN relay (operator's choice; absent: no). */
  relayAllowed: z.boolean().optional(),
});
export type PlaybackInfo = z.infer<typeof playbackInfoSchema>;

/**
 * Where a live viewer starts, in segments behind the live edge (hls.js `liveSyncDurationCount`):
 * the range the player's URL setting, the node peer's flag and the benchmarks accept, and
 * hls.js's default.
 */
export const LIVE_SYNC_SEGMENTS = { min: 1, max: 10, default: 3 } as const;

export function isLiveSyncSegments(value: number): boolean {
  return (
    Number.isInteger(value) && value >= LIVE_SYNC_SEGMENTS.min && value <= LIVE_SYNC_SEGMENTS.max
  );
}

/** Claims of the viewer token (besides the registered `exp`, `iat`, `iss`, `aud`). */
export const viewerTokenClaimsSchema = z.object({
  /** Viewer id. */
  sub: z.string().min(1).max(128),
  /** Stream id (swarm prefix) the token admits to. */
  stream: streamIdSchema,
  region: regionSchema.optional(),
});
export type ViewerTokenClaims = z.infer<typeof viewerTokenClaimsSchema>;
export const VIEWER_TOKEN_ISSUER = 'coral-origin';
export const VIEWER_TOKEN_AUDIENCE = 'coral-tracker';
