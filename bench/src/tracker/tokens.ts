import { sign, type KeyObject } from 'node:crypto';
import { VIEWER_TOKEN_AUDIENCE, VIEWER_TOKEN_ISSUER } from '@coral-cdn/protocol';

/** A viewer token (JWT, EdDSA) like the origin issues, signed with node:crypto. */
export function signViewerToken(
  privateKey: KeyObject,
  claims: { sub: string; stream: string; ttlSec: number },
): string {
  const nowSec = Math.floor(Date.now() / 1000);
  const header = { alg: 'EdDSA', typ: 'JWT', kid: 'bench' };
  const payload = {
    sub: claims.sub,
    stream: claims.stream,
    iss: VIEWER_TOKEN_ISSUER,
    aud: VIEWER_TOKEN_AUDIENCE,
    iat: nowSec,
    exp: nowSec + claims.ttlSec,
  };
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`;
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`;
}

function b64(text: string): string {
  return Buffer.from(text).toString('base64url');
}
