import {
  INTERNET_NATS,
  INTERNET_REGIONS,
  LAB_NATS,
  LAB_REGIONS,
  UPLINK_MIXES,
  type AudienceSpec,
  type PopulationSpec,
} from './population.js';
import { labInternetSpec } from './lab-internet.js';
import type { SimSpec } from './spec.js';
import type { Rendition } from './stream.js';

/** The ladder of the origin's default packaging (LADDER: 720p 2800k, 480p 1400k, 240p 400k). */
export const DEFAULT_LADDER: readonly Rendition[] = [
  { name: '720p', bitrateBitsPerSec: 2_928_000 },
  { name: '480p', bitrateBitsPerSec: 1_496_000 },
  { name: '240p', bitrateBitsPerSec: 464_000 },
];

/** Which renditions an internet audience settles on (ABR by device and downlink). */
const LADDER_SHARES: Readonly<Record<string, number>> = { '720p': 0.5, '480p': 0.35, '240p': 0.15 };

export interface ScenarioOptions {
  readonly viewers: number;
  readonly durationSec?: number;
  readonly uplinks?: string;
  readonly renditions?: readonly string[];
  readonly seed?: number;
  readonly byteScale?: number;
  readonly p2p?: boolean;
  /** Lab scenarios: the rendition's bitrate, bit/s. */
  readonly bitrateBitsPerSec?: number;
  readonly windowSec?: number;
  readonly sampleSec?: number;
  /** lab-internet scenarios: each viewer watches this long, s (default 40, as the benchmark). */
  readonly watchSec?: number;
  /** lab-internet scenarios: joins this far apart, ms (default: the benchmark's). */
  readonly joinIntervalMs?: number;
  /** lab-internet scenarios: seed of the run's chances; the homes come from `seed`. */
  readonly runSeed?: number;
  /** lab-internet scenarios: LIVE viewers start this many segments behind the edge (default 3). */
  readonly liveSyncSegments?: number;
  /**
   * The player's tick, ms (default 100, as the headless player). An approximation for large
   * runs when raised: each tick also asks the engine's scheduler for a pass (at most one per
   * 250 ms), so fewer ticks mean fewer passes; see docs/simulator.md "Speed" for its effect.
   */
  readonly playerTickMs?: number;
}

export interface ScenarioDefinition {
  readonly name: string;
  readonly description: string;
  build(options: ScenarioOptions): SimSpec;
}

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
}

function population(
  options: ScenarioOptions,
  ladder: readonly Rendition[],
  lab: boolean,
): PopulationSpec {
  const mixName = options.uplinks ?? (lab ? 'lab' : 'residential');
  const uplinks = UPLINK_MIXES[mixName];
  if (!uplinks)
    throw new ScenarioError(
      `unknown uplink mix "${mixName}"; known: ${Object.keys(UPLINK_MIXES).join(', ')}`,
    );
  const shares = Object.fromEntries(
    ladder.map((r) => [r.name, ladder.length === 1 ? 1 : (LADDER_SHARES[r.name] ?? 1)]),
  );
  return {
    uplinks,
    regions: lab ? LAB_REGIONS : INTERNET_REGIONS,
    sameRegionRttMs: lab ? 1 : 30,
    crossRegionRttMs: lab ? 1 : 120,
    natShares: lab ? LAB_NATS : INTERNET_NATS,
    renditionShares: shares,
  };
}

function ladderOf(options: ScenarioOptions, fallback: readonly string[]): Rendition[] {
  const names = options.renditions ?? fallback;
  return names.map((name) => {
    const rendition = DEFAULT_LADDER.find((r) => r.name === name);
    if (!rendition)
      throw new ScenarioError(
        `unknown rendition "${name}"; known: ${DEFAULT_LADDER.map((r) => r.name).join(', ')}`,
      );
    return options.bitrateBitsPerSec !== undefined && names.length === 1
      ? { ...rendition, bitrateBitsPerSec: options.bitrateBitsPerSec }
      : rendition;
  });
}

function base(
  name: string,
  options: ScenarioOptions,
  live: boolean,
  audience: AudienceSpec,
  ladder: readonly Rendition[],
  lab: boolean,
): SimSpec {
  const durationSec = options.durationSec ?? 600;
  const byteScale = options.byteScale ?? (options.viewers <= 200 ? 1 : 64);
  return {
    scenario: name,
    seed: options.seed ?? 1,
    live,
    durationSec,
    segmentDurationSec: 2,
    segments: live ? 6 : Math.ceil(Math.min(durationSec, 1200) / 2),
    renditions: ladder,
    population: population(options, ladder, lab),
    audience,
    cdn: { egressBitsPerSec: null, firstByteMs: lab ? 2 : 10 },
    byteScale,
    sampleSec: options.sampleSec ?? (lab ? 2 : 5),
    p2p: options.p2p ?? true,
    engine: {},
    // As the player page: 12 s ahead with P2P on, hls.js's default 30 s off.
    player: {
      tickMs: options.playerTickMs ?? 100,
      bufferTargetSec: (options.p2p ?? true) ? 12 : 30,
      liveSyncSegments: 3,
    },
    measureWindowSec: lab ? (options.windowSec ?? 30) : null,
  };
}

const forever = Number.POSITIVE_INFINITY;

export const SCENARIOS: readonly ScenarioDefinition[] = [
  {
    name: 'live-flash-crowd',
    description: 'live event: most of the audience arrives in the first minute and stays',
    build: (o) =>
      base(
        'live-flash-crowd',
        o,
        true,
        {
          viewers: o.viewers,
          arrivals: 'flash',
          rampSec: 60,
          joinIntervalMs: 0,
          meanSessionSec: forever,
          replaceLeavers: false,
        },
        ladderOf(o, ['720p', '480p', '240p']),
        false,
      ),
  },
  {
    name: 'live-steady',
    description: 'live channel: arrivals spread over the event, exponential sessions (mean 10 min)',
    build: (o) =>
      base(
        'live-steady',
        o,
        true,
        {
          viewers: o.viewers,
          arrivals: 'steady',
          rampSec: 0,
          joinIntervalMs: 0,
          meanSessionSec: 600,
          replaceLeavers: false,
        },
        ladderOf(o, ['720p', '480p', '240p']),
        false,
      ),
  },
  {
    name: 'live-churn',
    description: 'live: the audience arrives in 30 s, sessions average 3 min, leavers replaced',
    build: (o) =>
      base(
        'live-churn',
        o,
        true,
        {
          viewers: o.viewers,
          arrivals: 'flash',
          rampSec: 30,
          joinIntervalMs: 0,
          meanSessionSec: 180,
          replaceLeavers: true,
        },
        ladderOf(o, ['720p', '480p', '240p']),
        false,
      ),
  },
  {
    name: 'vod',
    description: 'VOD title: steady arrivals, sessions average 5 min',
    build: (o) =>
      base(
        'vod',
        o,
        false,
        {
          viewers: o.viewers,
          arrivals: 'steady',
          rampSec: 0,
          joinIntervalMs: 0,
          meanSessionSec: 300,
          replaceLeavers: false,
        },
        ladderOf(o, ['720p', '480p', '240p']),
        false,
      ),
  },
  {
    name: 'lab-live',
    description:
      'the werift swarm benchmark LIVE run: joins 500 ms apart, one 240p rendition, loopback',
    build: (o) =>
      base(
        'lab-live',
        o,
        true,
        {
          viewers: o.viewers,
          arrivals: 'fixed-interval',
          rampSec: 0,
          joinIntervalMs: 500,
          meanSessionSec: forever,
          replaceLeavers: false,
        },
        ladderOf(o, ['240p']),
        true,
      ),
  },
  {
    name: 'lab-vod',
    description: 'the werift swarm benchmark VOD run: joins 1 s apart, 120 s 240p clip, loopback',
    build: (o) => ({
      ...base(
        'lab-vod',
        o,
        false,
        {
          viewers: o.viewers,
          arrivals: 'fixed-interval',
          rampSec: 0,
          joinIntervalMs: 1000,
          meanSessionSec: forever,
          replaceLeavers: false,
        },
        ladderOf(o, ['240p']),
        true,
      ),
      segments: 60,
    }),
  },
  {
    name: 'lab-internet-live',
    description:
      'the internet benchmark LIVE run: its homes from the seed (NAT, uplink, RTT, loss), 240p, joins 1 s apart',
    build: (o) => labInternet(true, o),
  },
  {
    name: 'lab-internet-vod',
    description:
      'the internet benchmark VOD run: its homes from the seed, 240p clip of watch time + 30 s, joins 2 s apart',
    build: (o) => labInternet(false, o),
  },
];

/** The internet benchmark's defaults: 40 s watched, VOD joins 2 s apart, LIVE 1 s. */
function labInternet(live: boolean, o: ScenarioOptions): SimSpec {
  return labInternetSpec({
    live,
    viewers: o.viewers,
    seed: o.seed ?? 1,
    watchSec: o.watchSec ?? 40,
    joinIntervalMs: o.joinIntervalMs ?? (live ? 1000 : 2000),
    p2p: o.p2p ?? true,
    sampleSec: o.sampleSec ?? 2,
    ...(o.runSeed !== undefined ? { runSeed: o.runSeed } : {}),
    ...(o.liveSyncSegments !== undefined ? { liveSyncSegments: o.liveSyncSegments } : {}),
  });
}

export function scenarioSpec(name: string, options: ScenarioOptions): SimSpec {
  const definition = SCENARIOS.find((s) => s.name === name);
  if (!definition)
    throw new ScenarioError(
      `unknown scenario "${name}"; known: ${SCENARIOS.map((s) => s.name).join(', ')}`,
    );
  if (!Number.isInteger(options.viewers) || options.viewers < 1)
    throw new ScenarioError(`viewers must be a whole number >= 1, got ${options.viewers}`);
  return definition.build(options);
}
