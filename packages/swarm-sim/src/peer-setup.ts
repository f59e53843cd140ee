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
 * werift 0.24 (the node peers of the benchmarks) with the node peer's fixes (DTLS handshake
 * messages in sequence, SCTP's RTO.Initial 1 s), measured between the internet benchmark's cone
 * homes (bench `coral-netns node dist/measure/path.js`, RTT 96-156 ms, 2.3-3.2% loss per path):
 * all 34 set-ups opened; 17 within 0.1 s of 7 RTTs + 0.6 s (the loss-free fit), 17 later by
 * 0.3-2.4 s (DTLS retransmits after 0.5 s, then 1 s; SCTP after 1 s). Half delayed at 2.7% loss
 * is 1-(1-p)^K with K about 24; the mean delay of those, 0.9 s for about 1.4 losses each, is
 * 650 ms a loss. (Before the fixes: 8 of 33 took 4.1-5.0 s, werift's SCTP waiting out its 3 s
 * timer, and 2 never opened.)
 */
export const WERIFT_PEER_SETUP: PeerSetupModel = {
  roundTrips: 7,
  fixedMs: 600,
  handshakePackets: 24,
  retransmitMs: 650,
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
