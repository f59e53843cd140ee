import type { KeyObject } from 'node:crypto';
import {
  VIEWER_TOKEN_AUDIENCE,
  VIEWER_TOKEN_ISSUER,
  viewerTokenClaimsSchema,
  type ViewerTokenClaims,
} from '@coral-cdn/protocol';
import {
  createRemoteJWKSet,
  errors as joseErrors,
  importSPKI,
  jwtVerify,
  type CryptoKey,
  type JWTVerifyGetKey,
} from 'jose';
import { TokenError } from '../errors.js';

export interface VerifiedToken {
  readonly claims: ViewerTokenClaims;
  /** Epoch ms; the token is not accepted for new joins after this. */
  readonly expiresAtMs: number;
}

export interface TokenVerifier {
  /** Resolves with the claims, or rejects with a TokenError. */
  verify(token: string): Promise<VerifiedToken>;
}

export type TokenKeySource = { kind: 'key'; key: KeyObject } | { kind: 'jwks'; url: string };

const CACHE_LIMIT = 10_000;

/**
 * Verifies viewer tokens (JWT, EdDSA/Ed25519) against the origin's key, either configured
 * directly or fetched from its JWKS (cached by jose, refetched when an unknown `kid` appears).
 * Verified tokens are cached until they expire: one connection joins several swarms with the
 * same token, and reconnects bring it again.
 */
export function createTokenVerifier(
  source: TokenKeySource,
  now: () => number = Date.now,
): TokenVerifier {
  // A configured key is imported once as a CryptoKey (jose would convert a KeyObject on
  // every verification).
  const key: Promise<CryptoKey> | JWTVerifyGetKey =
    source.kind === 'key'
      ? importSPKI(source.key.export({ type: 'spki', format: 'pem' }).toString(), 'EdDSA')
      : createRemoteJWKSet(new URL(source.url), {
          timeoutDuration: 3000,
          cooldownDuration: 10_000,
          cacheMaxAge: 10 * 60_000,
        });
  const cache = new Map<string, VerifiedToken>();

  return {
    async verify(token) {
      const cached = cache.get(token);
      if (cached) {
        if (cached.expiresAtMs > now()) return cached;
        cache.delete(token);
        throw new TokenError('token_expired', 'viewer token expired');
      }
      let payload: Record<string, unknown>;
      try {
        const options = {
          issuer: VIEWER_TOKEN_ISSUER,
          audience: VIEWER_TOKEN_AUDIENCE,
          algorithms: ['EdDSA', 'Ed25519'],
          requiredClaims: ['exp'],
          currentDate: new Date(now()),
        };
        const result =
          typeof key === 'function'
            ? await jwtVerify(token, key, options)
            : await jwtVerify(token, await key, options);
        payload = result.payload;
      } catch (error) {
        throw classify(error);
      }
      const claims = viewerTokenClaimsSchema.safeParse(payload);
      if (!claims.success) {
        throw new TokenError('unauthorized', 'viewer token lacks the sub/stream claims');
      }
      const verified: VerifiedToken = {
        claims: claims.data,
        expiresAtMs: Number(payload.exp) * 1000,
      };
      if (cache.size >= CACHE_LIMIT) {
        // Drop the oldest entry (Map keeps insertion order).
        cache.delete(cache.keys().next().value!);
      }
      cache.set(token, verified);
      return verified;
    },
  };
}

function classify(error: unknown): TokenError {
  if (error instanceof joseErrors.JWTExpired) {
    return new TokenError('token_expired', 'viewer token expired', error);
  }
  const keysUnavailable =
    error instanceof joseErrors.JWKSTimeout ||
    error instanceof joseErrors.JWKSInvalid ||
    // jose throws the base class itself when the key set answers with a non-200 status.
    (error instanceof Error && error.constructor === joseErrors.JOSEError) ||
    (error instanceof Error && !(error instanceof joseErrors.JOSEError));
  if (keysUnavailable) {
    // The key set could not be fetched: not the viewer's fault; it may retry.
    return new TokenError('internal', 'token keys are unavailable; retry later', error);
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new TokenError('unauthorized', `invalid viewer token: ${detail}`, error);
}
