import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed playback requests: the operator's own site, having authorised a viewer, signs
 * `<id>:<expires>` (unix seconds) with HMAC-SHA256 and a secret it shares with the origin, and
 * the player asks `GET /api/playback/<id>?expires=<expires>&sig=<hex>`.
 */
export function signPlayback(secret: string, id: string, expiresSec: number): string {
  return createHmac('sha256', secret).update(`${id}:${expiresSec}`).digest('hex');
}

export type PlaybackCheck =
  { ok: true } | { ok: false; code: 'signature_required' | 'signature_expired' | 'bad_signature' };

export function checkPlaybackSignature(
  secret: string,
  id: string,
  expires: unknown,
  sig: unknown,
  nowMs: number,
): PlaybackCheck {
  if (typeof expires !== 'string' || typeof sig !== 'string') {
    return { ok: false, code: 'signature_required' };
  }
  if (!/^\d{1,12}$/.test(expires) || !/^[0-9a-f]{64}$/i.test(sig)) {
    return { ok: false, code: 'bad_signature' };
  }
  const expected = Buffer.from(signPlayback(secret, id, Number(expires)), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(sig, 'hex'))) {
    return { ok: false, code: 'bad_signature' };
  }
  if (Number(expires) * 1000 <= nowMs) return { ok: false, code: 'signature_expired' };
  return { ok: true };
}
