import {
  VIEWER_TOKEN_AUDIENCE,
  VIEWER_TOKEN_ISSUER,
  type ViewerTokenClaims,
} from '@coral-cdn/protocol';
import { SignJWT, type JSONWebKeySet } from 'jose';
import { randomToken } from './fs-util.js';
import type { TokenKey } from './integrity/keys.js';

/** Short-lived viewer tokens (JWT, EdDSA) that the tracker checks against our JWKS. */
export class ViewerTokens {
  constructor(
    private readonly key: TokenKey,
    private readonly ttlSec: number,
    private readonly now: () => number = Date.now,
  ) {}

  async issue(claims: Omit<ViewerTokenClaims, 'sub'> & { sub?: string }): Promise<{
    token: string;
    expiresAt: Date;
    viewerId: string;
  }> {
    const viewerId = claims.sub ?? randomToken(12);
    const issuedAtSec = Math.floor(this.now() / 1000);
    const expiresAtSec = issuedAtSec + this.ttlSec;
    const payload: Record<string, string> = { stream: claims.stream };
    if (claims.region !== undefined) payload.region = claims.region;
    const token = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'EdDSA', kid: this.key.kid, typ: 'JWT' })
      .setSubject(viewerId)
      .setIssuer(VIEWER_TOKEN_ISSUER)
      .setAudience(VIEWER_TOKEN_AUDIENCE)
      .setIssuedAt(issuedAtSec)
      .setExpirationTime(expiresAtSec)
      .sign(this.key.privateKey);
    return { token, expiresAt: new Date(expiresAtSec * 1000), viewerId };
  }

  jwks(): JSONWebKeySet {
    return { keys: [this.key.publicJwk] };
  }
}
