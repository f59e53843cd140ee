import type { NatType } from './nat.js';
import { seededRandom } from './random.js';

/**
 * The viewers' homes of the internet benchmark (`npm run bench -- internet`, the network lab),
 * drawn from a seed (pure: the same seed gives the same population), and the offload bounds
 * for that population. The benchmark builds its lab from these homes and the simulator's
 * `lab-internet-*` scenarios simulate the same ones, so both run one population.
 */

/** The lab's NAT kinds (no open hosts there). */
export type NatKind = Extract<NatType, 'cone' | 'symmetric' | 'udp-blocked'>;

/** One home's access link, as the network lab takes it (structurally its `HomeSpec`). */
export interface HomeSpec {
  nat: NatKind;
  /** Uplink cap (home → internet), Mbit/s; unset: uncapped. */
  upMbit?: number;
  /** Downlink cap (internet → home), Mbit/s; unset: uncapped. */
  downMbit?: number;
  /** Random loss in each direction, 0..1. */
  lossRate?: number;
  /** One-way delay added by the access link in each direction, ms (RTT to a service: 2×). */
  delayMs?: number;
  /** Uniform jitter on that delay, ± ms. */
  jitterMs?: number;
}

/** The NAT mix: mostly endpoint-independent ("cone") mapping, some symmetric, a few UDP-less. */
export const NAT_MIX: ReadonlyArray<{ nat: NatKind; share: number }> = [
  { nat: 'cone', share: 0.7 },
  { nat: 'symmetric', share: 0.2 },
  { nat: 'udp-blocked', share: 0.1 },
];

/**
 * Residential uplinks, Mbit/s, with their shares: a long tail below the 240p stream's
 * 0.46 Mbit/s (poor DSL, congested mobile), DSL at 1, cable and fibre tiers above; the median
 * lands at 3–10 Mbit/s, below Ookla's 2023 US medians (27 fixed, 10 mobile), as a
 * world-wide population would.
 */
export const UPLINK_MIX: ReadonlyArray<{ upMbit: number; share: number }> = [
  { upMbit: 0.3, share: 0.1 },
  { upMbit: 1, share: 0.2 },
  { upMbit: 3, share: 0.3 },
  { upMbit: 10, share: 0.25 },
  { upMbit: 30, share: 0.15 },
];

export const RTT_RANGE_MS = { min: 20, max: 150 } as const;
export const LOSS_RANGE = { min: 0.01, max: 0.02 } as const;

export interface Viewer {
  index: number;
  home: HomeSpec & { upMbit: number; delayMs: number; lossRate: number };
  /** Round trip to the services, ms (twice the home's one-way delay). */
  rttMs: number;
}

/** Counts per kind for `n` items by largest remainder, so the mix holds exactly at any n. */
export function apportion(shares: readonly number[], n: number): number[] {
  const exact = shares.map((share) => share * n);
  const counts = exact.map(Math.floor);
  const order = exact
    .map((value, i) => ({ i, rest: value - Math.floor(value) }))
    .sort((a, b) => b.rest - a.rest || a.i - b.i);
  for (let k = 0; counts.reduce((a, b) => a + b, 0) < n; k++) counts[order[k]!.i]!++;
  return counts;
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

function expand<T>(kinds: readonly T[], counts: readonly number[]): T[] {
  return kinds.flatMap((kind, i) => Array.from({ length: counts[i]! }, () => kind));
}

/** `n` viewers: NAT and uplink apportioned from the mixes and shuffled; RTT and loss uniform. */
export function drawPopulation(n: number, seed: number): Viewer[] {
  const random = seededRandom(seed);
  const nats = shuffle(
    expand(
      NAT_MIX.map((m) => m.nat),
      apportion(
        NAT_MIX.map((m) => m.share),
        n,
      ),
    ),
    random,
  );
  const uplinks = shuffle(
    expand(
      UPLINK_MIX.map((m) => m.upMbit),
      apportion(
        UPLINK_MIX.map((m) => m.share),
        n,
      ),
    ),
    random,
  );
  return nats.map((nat, index) => {
    const rttMs = Math.round(RTT_RANGE_MS.min + random() * (RTT_RANGE_MS.max - RTT_RANGE_MS.min));
    const lossRate =
      Math.round((LOSS_RANGE.min + random() * (LOSS_RANGE.max - LOSS_RANGE.min)) * 1000) / 1000;
    const delayMs = Math.max(1, Math.round(rttMs / 2));
    return {
      index,
      rttMs: delayMs * 2,
      home: {
        nat,
        upMbit: uplinks[index]!,
        delayMs,
        jitterMs: Math.round(delayMs / 10),
        lossRate,
      },
    };
  });
}

/**
 * Who can reach whom without a relay: two cone homes (STUN, srflx↔srflx). A symmetric home
 * reaches nobody behind these port-restricted routers, a UDP-blocked home nobody at all; with
 * a relay allowed, every home but the UDP-blocked ones (TURN over TCP is not counted: the
 * engine's peers are UDP here) is eligible.
 */
export function isEligible(nat: NatKind, relayAllowed: boolean): boolean {
  return nat === 'cone' || (relayAllowed && nat === 'symmetric');
}

export interface Bounds {
  eligible: number;
  eligibleShare: number;
  /** Share of all viewers' segment bytes peers could carry: (E−1)/E of the eligible's bytes. */
  bound: number;
  /**
   * The same, limited by what the eligible viewers can upload: per second they need
   * (E−1) × bitrate from peers and can send at most the sum of their uplinks.
   */
  uplinkBound: number;
}

export function populationBounds(
  viewers: readonly Viewer[],
  bitrateMbit: number,
  relayAllowed = false,
): Bounds {
  const eligible = viewers.filter((v) => isEligible(v.home.nat, relayAllowed));
  const n = viewers.length;
  const e = eligible.length;
  if (n === 0 || e < 2)
    return { eligible: e, eligibleShare: n ? e / n : 0, bound: 0, uplinkBound: 0 };
  const bound = (e - 1) / n;
  const uplinkMbit = eligible.reduce((sum, v) => sum + v.home.upMbit, 0);
  const uplinkBound = Math.min(e - 1, uplinkMbit / bitrateMbit) / n;
  return { eligible: e, eligibleShare: e / n, bound, uplinkBound };
}
