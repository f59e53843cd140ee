/**
 * NAT types and which pairs connect. Cone NATs (endpoint-independent mapping) reach each other
 * through STUN; a symmetric NAT reaches only an open or cone peer with a port-restricted filter
 * relaxed by the cone side's own check, and two symmetric NATs need a TURN relay; a UDP-blocked
 * viewer has no WebRTC at all unless a TURN server over TCP/TLS is offered.
 */
export type NatType = 'open' | 'cone' | 'symmetric' | 'udp-blocked';

export const NAT_TYPES: readonly NatType[] = ['open', 'cone', 'symmetric', 'udp-blocked'];

export interface Route {
  readonly ok: boolean;
  /** Round trips of set-up (ICE, DTLS, SCTP). */
  readonly setupRoundTrips: number;
  /** Extra set-up time (TURN allocation), ms. */
  readonly extraMs: number;
  readonly relayed: boolean;
}

const NO_ROUTE: Route = { ok: false, setupRoundTrips: 0, extraMs: 0, relayed: false };

/** Whether two viewers behind these NATs get a data channel (STUN only, no TURN). */
export function canConnect(a: NatType, b: NatType): Route {
  if (a === 'udp-blocked' || b === 'udp-blocked') return NO_ROUTE;
  if (a === 'symmetric' && b === 'symmetric') return NO_ROUTE;
  // Measured on emulated NATs: cone/cone over STUN opens in 0.3-0.8 s at low RTT, and each
  // extra 100 ms of RTT adds about a second (werift) or half that (Chromium): about 6 round
  // trips plus a fixed part.
  const penalty = a === 'open' && b === 'open' ? 0 : 200;
  if ((a === 'symmetric' && b === 'cone') || (a === 'cone' && b === 'symmetric')) return NO_ROUTE;
  return { ok: true, setupRoundTrips: 6, extraMs: 100 + penalty, relayed: false };
}
