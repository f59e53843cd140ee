import { z } from 'zod';

/** The swarm benchmark's flags, parsed and checked once (zod). */

export type ScenarioName = 'live' | 'vod';
export type Delivery = 'p2p' | 'cdn';

export interface SwarmOptions {
  scenarios: ScenarioName[];
  /** Chromium viewers per scenario (0: no browser runs). */
  browsers: number;
  /** werift fleet sizes per scenario (empty: no node-peer runs). */
  peers: number[];
  /** Both by default: every P2P run has its CDN-only baseline in the same invocation. */
  deliveries: Delivery[];
  /** Steady window measured after the last viewer joined and everyone plays, seconds. */
  windowSec: number;
  /** Browsers: live joins this far apart, VOD joins this far apart (by default 2 s and 10 s). */
  liveJoinMs: number;
  vodJoinMs: number;
  /** Node peers: the same, shorter, so that 40 viewers join within the default run time. */
  peerLiveJoinMs: number;
  peerVodJoinMs: number;
  /** Length of the packaged VOD clip, seconds. */
  clipSec: number;
  /** How long to wait after the last join for every viewer to be playing, seconds. */
  settleTimeoutSec: number;
  /** Node peers per `coral-peer` process (one process runs ~50 here). */
  peersPerProcess: number;
  /** How often viewers' counters are sampled for the time series, seconds. */
  sampleSec: number;
  quick: boolean;
  /**
   * Browser pairs run this many times (P2P and CDN-only each), alternating which goes first;
   * the pair's figures pool every round. Six pages on 2 cores make one run's start-up median
   * swing by 2× between runs; werift fleets run once.
   */
  rounds: number;
  /**
   * After each browser P2P run's window, this many more pages join the running swarm one at
   * a time, alternating P2P and CDN-only: start-up against the same background (0: none).
   */
  joiners: number;
  /** The first pair runs CDN-only first (then alternating as usual): to check order effects. */
  cdnFirst: boolean;
  /** Results go to bench/results/<out>.json and <out>.svg (and <out>-diagnostics.json). */
  out: string;
  /**
   * Run nothing: pool the runs of these earlier invocations (bench/results/<name>.json) into
   * one comparison per pair (empty: a normal run).
   */
  pool: string[];
  /**
   * Print and write the diagnostics too: segment sourcing per viewer, Chromium CPU by
   * process, page start-up steps, bench/results/<out>-diagnostics.json.
   */
  diagnose: boolean;
}

export class SwarmOptionsError extends Error {
  override readonly name = 'SwarmOptionsError';
}

const FULL: SwarmOptions = {
  scenarios: ['live', 'vod'],
  browsers: 6,
  peers: [20],
  deliveries: ['p2p', 'cdn'],
  windowSec: 30,
  liveJoinMs: 2_000,
  vodJoinMs: 10_000,
  peerLiveJoinMs: 500,
  peerVodJoinMs: 1_000,
  clipSec: 120,
  settleTimeoutSec: 20,
  peersPerProcess: 40,
  sampleSec: 2,
  rounds: 2,
  joiners: 6,
  quick: false,
  cdnFirst: false,
  out: 'swarm',
  pool: [],
  diagnose: false,
};

/** A few minutes: fewer viewers, shorter joins and windows, a shorter clip. */
const QUICK: SwarmOptions = {
  ...FULL,
  browsers: 3,
  peers: [10],
  windowSec: 20,
  vodJoinMs: 5_000,
  peerVodJoinMs: 1_000,
  clipSec: 60,
  settleTimeoutSec: 15,
  rounds: 1,
  joiners: 2,
  quick: true,
  out: 'swarm-quick',
};

export const SWARM_FLAGS_HELP = [
  '--quick                 a few minutes: 3 browsers, 10 peers, 20 s windows, 60 s clip',
  '--browsers N            Chromium viewers (default 6; 0: none)',
  '--peers N,M             werift fleet sizes (default 20; 0: none)',
  '--scenarios live,vod    which scenarios (default both)',
  '--deliveries p2p,cdn    P2P and/or the CDN-only baseline (default both)',
  '--window-sec S          steady window after the last join (default 30)',
  '--live-join-sec S       browser live joins apart (default 2)',
  '--vod-join-sec S        browser VOD joins apart (default 10)',
  '--peer-live-join-ms MS  node peer live joins apart (default 500)',
  '--peer-vod-join-ms MS   node peer VOD joins apart (default 1000)',
  '--clip-sec S            VOD clip length (default 120)',
  '--settle-timeout-sec S  wait for every viewer to play (default 20)',
  '--peers-per-process N   node peers per coral-peer process (default 40)',
  '--sample-sec S          time-series sampling period (default 2)',
  '--rounds N              browser pairs run N times, alternating order, pooled (default 2; --quick: 1)',
  '--joiners N             after each browser P2P window, N joiners (P2P/CDN-only alternating) (default 6)',
  '--cdn-first             the first pair starts with its CDN-only run (order effects)',
  '--out NAME              results file name in bench/results (default swarm; --quick: swarm-quick)',
  '--diagnose              also print and write diagnostics (sourcing, CPU by process, start-up steps)',
  '--diagnose --pool NAME,NAME  run nothing: pool earlier invocations (bench/results/NAME.json)',
  '                        into one comparison per pair, the start-up interval drawn over',
  '                        invocations too (writes --out, default swarm-pooled)',
].join('\n');

/** Where --pool writes when --out is not given. */
export const POOLED_OUT = 'swarm-pooled';

const flagOf = (key: string) => `--${key.replace(/_/g, '-')}`;

/** A number in [min, max] (`integer`: a whole one), from the flag's text. */
function numberFlag(name: string, min: number, max: number, integer = false) {
  return z
    .string()
    .refine(
      (raw) => {
        const value = Number(raw);
        return raw.trim() !== '' && Number.isFinite(value) && value >= min && value <= max;
      },
      {
        error: (issue) =>
          `--${name} must be a number in ${min}..${max}, got "${String(issue.input)}"`,
        abort: true,
      },
    )
    .transform(Number)
    .refine((value) => !integer || Number.isInteger(value), {
      error: `--${name} must be an integer`,
    });
}

const integerFlag = (name: string, min: number, max: number) => numberFlag(name, min, max, true);

/** A flag without a value: 'true' (or 'false') as the bench runner passes it. */
const switchFlag = (name: string) =>
  z
    .enum(['true', 'false'], { error: `--${name} takes no value` })
    .transform((raw) => raw === 'true');

/** Comma-separated items from `allowed`, each once, in the order given. */
function listFlag<const T extends string>(name: string, allowed: readonly [T, ...T[]]) {
  const items = z.array(z.enum(allowed));
  return z.string().transform((raw, ctx) => {
    const parsed = items.safeParse(raw.split(',').map((item) => item.trim()));
    if (parsed.success) return [...new Set(parsed.data)];
    ctx.addIssue({ code: 'custom', message: `--${name} takes ${allowed.join(',')}, got "${raw}"` });
    return z.NEVER;
  });
}

/** A results file's name (bench/results/<name>.json): no path, no extension. */
const resultName = (name: string) =>
  z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, {
    error: (issue) => `--${name} takes a file name of [a-z0-9-], got "${String(issue.input)}"`,
  });

const fleetSize = integerFlag('peers', 2, 1000);

/** Each flag as the bench runner passes it (lower case, '_' for '-'), all optional. */
const swarmFlags = z
  .object({
    quick: switchFlag('quick'),
    browsers: integerFlag('browsers', 0, 32),
    peers: z.string().transform((raw, ctx) => {
      if (raw.trim() === '0' || raw.trim() === 'none') return [];
      const sizes: number[] = [];
      for (const item of raw.split(',')) {
        const size = fleetSize.safeParse(item);
        if (!size.success) {
          ctx.addIssue({ code: 'custom', message: size.error.issues[0]!.message });
          return z.NEVER;
        }
        sizes.push(size.data);
      }
      return [...new Set(sizes)].sort((a, b) => a - b);
    }),
    scenarios: listFlag('scenarios', ['live', 'vod']),
    deliveries: listFlag('deliveries', ['p2p', 'cdn']),
    window_sec: numberFlag('window-sec', 5, 3600),
    live_join_sec: numberFlag('live-join-sec', 0, 600),
    vod_join_sec: numberFlag('vod-join-sec', 0, 600),
    peer_live_join_ms: integerFlag('peer-live-join-ms', 0, 600_000),
    peer_vod_join_ms: integerFlag('peer-vod-join-ms', 0, 600_000),
    clip_sec: integerFlag('clip-sec', 10, 1800),
    settle_timeout_sec: numberFlag('settle-timeout-sec', 1, 600),
    peers_per_process: integerFlag('peers-per-process', 1, 200),
    sample_sec: numberFlag('sample-sec', 0.5, 60),
    rounds: integerFlag('rounds', 1, 10),
    joiners: integerFlag('joiners', 0, 20),
    cdn_first: switchFlag('cdn-first'),
    diagnose: switchFlag('diagnose'),
    out: resultName('out'),
    pool: z.string().transform((raw, ctx) => {
      const names: string[] = [];
      for (const item of raw.split(',')) {
        const name = resultName('pool').safeParse(item.trim());
        if (!name.success) {
          ctx.addIssue({ code: 'custom', message: name.error.issues[0]!.message });
          return z.NEVER;
        }
        names.push(name.data);
      }
      return [...new Set(names)];
    }),
  })
  .partial()
  .strict();

/**
 * The flags through the schema, each in the order given, so that the first bad or unknown one
 * is the SwarmOptionsError, naming it. Keys are taken with '-' for '_' too.
 */
function checkedFlags(given: Readonly<Record<string, string>>): z.output<typeof swarmFlags> {
  const shape: Readonly<Record<string, z.ZodType | undefined>> = swarmFlags.shape;
  const entries = Object.entries(given).map(([key, raw]): [string, string] => [
    key.replace(/-/g, '_'),
    raw,
  ]);
  for (const [key, raw] of entries) {
    const schema = Object.hasOwn(shape, key) ? shape[key] : undefined;
    if (!schema) {
      throw new SwarmOptionsError(
        `unknown flag ${flagOf(key)}; the swarm benchmark takes:\n${SWARM_FLAGS_HELP}`,
      );
    }
    const checked = schema.safeParse(raw);
    if (!checked.success) throw new SwarmOptionsError(checked.error.issues[0]!.message);
  }
  return swarmFlags.parse(Object.fromEntries(entries));
}

/**
 * Flags as the bench runner passes them (`--window-sec 60` → `{ window_sec: '60' }`; a bare
 * flag is `'true'`; '-' is taken for '_' too). Unknown flags are refused, naming the flag.
 */
export function parseSwarmOptions(flags: Readonly<Record<string, string>>): SwarmOptions {
  const f = checkedFlags(flags);
  const base = f.quick === true ? QUICK : FULL;
  const options: SwarmOptions = {
    ...base,
    scenarios: f.scenarios ?? [...base.scenarios],
    peers: f.peers ?? [...base.peers],
    deliveries: f.deliveries ?? base.deliveries,
    browsers: f.browsers ?? base.browsers,
    windowSec: f.window_sec ?? base.windowSec,
    liveJoinMs: f.live_join_sec === undefined ? base.liveJoinMs : f.live_join_sec * 1000,
    vodJoinMs: f.vod_join_sec === undefined ? base.vodJoinMs : f.vod_join_sec * 1000,
    peerLiveJoinMs: f.peer_live_join_ms ?? base.peerLiveJoinMs,
    peerVodJoinMs: f.peer_vod_join_ms ?? base.peerVodJoinMs,
    clipSec: f.clip_sec ?? base.clipSec,
    settleTimeoutSec: f.settle_timeout_sec ?? base.settleTimeoutSec,
    peersPerProcess: f.peers_per_process ?? base.peersPerProcess,
    sampleSec: f.sample_sec ?? base.sampleSec,
    rounds: f.rounds ?? base.rounds,
    joiners: f.joiners ?? base.joiners,
    cdnFirst: f.cdn_first ?? base.cdnFirst,
    diagnose: f.diagnose ?? base.diagnose,
    out: f.out ?? base.out,
    pool: f.pool ?? base.pool,
  };
  if (options.pool.length > 0) {
    // Pooling invocations served one past question (start-up across runs): a diagnostic.
    if (!options.diagnose)
      throw new SwarmOptionsError('--pool is a diagnostic: give it with --diagnose');
    const runFlags = Object.keys(flags).filter(
      (key) => key !== 'pool' && key !== 'out' && key !== 'diagnose',
    );
    if (runFlags.length > 0)
      throw new SwarmOptionsError(
        `--pool runs nothing and takes only --out, not ${flagOf(runFlags[0]!)}`,
      );
    if (f.out === undefined) options.out = POOLED_OUT;
    if (options.pool.includes(options.out))
      throw new SwarmOptionsError(`--out ${options.out} would overwrite a file --pool reads`);
    return options;
  }
  if (options.browsers === 1) throw new SwarmOptionsError('--browsers must be 0 or at least 2');
  if (options.browsers === 0 && options.peers.length === 0)
    throw new SwarmOptionsError('nothing to run: --browsers 0 and --peers 0');
  return options;
}

/** Flags back to command-line arguments (for re-running the benchmark inside coral-netns). */
export function flagsToArgs(flags: Readonly<Record<string, string>>): string[] {
  return Object.entries(flags).map(([key, value]) => `--${key.replace(/_/g, '-')}=${value}`);
}
