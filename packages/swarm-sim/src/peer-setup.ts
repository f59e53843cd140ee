import type { Route } from './nat.js';

/**
 * How long a data channel takes to open once the answer is in: ICE checks, the DTLS and SCTP
 * handshakes, a few round trips and a fixed part, plus, on a lossy path, the retransmission
 * timer of every handshake packet that was lost (nothing else repairs a lost handshake packet).
 */
export interface PeerSetupModel {
  /** Round trips of the loss-free set-up. */
  readonly roundTrips: number;
  /** Fixed part of the loss-free set-up (gathering, processing), ms. */
  readonly fixedMs: number;
  /** Handshake packets whose loss stalls the set-up (each way, all flights). */
  readonly handshakePackets: number;
  /** What one lost handshake packet costs: the retransmission timer before an RTT sample, ms. */
  readonly retransmitMs: number;
}

/**
 * werift 0.24 (the node peers of the benchmarks), measured between the internet benchmark's
 * cone homes (bench `coral-netns node dist/measure/path.js`, RTT 96-156 ms, 2.3-3.2% loss per
 * path, 33 attempts): 23 opened in 1.26-2.05 s (7 RTTs + 0.6 s fits them: 1.27 s at 96 ms,
 * 1.69 s at 156 ms; 1.7 s at 100 ms and 3.6-4.0 s at 300 ms were measured before without
 * loss), 8 in 4.1-5.0 s (one lost handshake packet: werift's SCTP starts with a 3 s
 * retransmission timer), 2 never. 8 + 2 of 33 stalled at a mean 2.7% loss is 1-(1-p)^K with K
 * about 12; two or more lost (4% of attempts) outlast the engine's 5 s connect timeout.
 */
export const WERIFT_PEER_SETUP: PeerSetupModel = {
  roundTrips: 7,
  fixedMs: 600,
  handshakePackets: 12,
  retransmitMs: 3000,
};

/** Lost handshake packets on a path with this loss: one draw of Binomial(K, p). */
export function lostHandshakePackets(
  model: PeerSetupModel,
  lossRate: number,
  random: () => number,
): number {
  let lost = 0;
  for (let i = 0; i < model.handshakePackets; i++) if (random() < lossRate) lost++;
  return lost;
}

/**
 * Set-up time of one connection attempt, ms. Without a model: the route's own round trips and
 * fixed part (the simulator's generic WebRTC stack, no loss term). With one: its round trips
 * and fixed part, plus its timer for each lost handshake packet (on a path whose set-up then
 * outlasts the engine's connect timeout, the attempt fails as a real one does).
 */
export function setupDelayMs(
  route: Route,
  rttMs: number,
  lossRate = 0,
  model: PeerSetupModel | null = null,
  random: () => number = Math.random,
): number {
  if (model === null) return route.setupRoundTrips * rttMs + route.extraMs;
  const lost = lossRate > 0 ? lostHandshakePackets(model, lossRate, random) : 0;
  return model.roundTrips * rttMs + model.fixedMs + lost * model.retransmitMs;
}
