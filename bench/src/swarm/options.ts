/** The swarm benchmark's flags, parsed and checked once. */

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
  '--pool NAME,NAME        run nothing: pool earlier invocations (bench/results/NAME.json) into one',
  '                        comparison per pair, the start-up interval drawn over invocations too',
  '                        (writes --out, default swarm-pooled)',
].join('\n');

function number(name: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    throw new SwarmOptionsError(`--${name} must be a number in ${min}..${max}, got "${raw}"`);
  }
  return value;
}

function integer(name: string, raw: string, min: number, max: number): number {
  const value = number(name, raw, min, max);
  if (!Number.isInteger(value)) throw new SwarmOptionsError(`--${name} must be an integer`);
  return value;
}

/** Where --pool writes when --out is not given. */
export const POOLED_OUT = 'swarm-pooled';

/** A results file's name (bench/results/<name>.json): no path, no extension. */
function resultName(flag: string, raw: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(raw))
    throw new SwarmOptionsError(`--${flag} takes a file name of [a-z0-9-], got "${raw}"`);
  return raw;
}

function list<T extends string>(name: string, raw: string, allowed: readonly T[]): T[] {
  const items = raw.split(',').map((item) => item.trim());
  const bad = items.filter((item) => !(allowed as readonly string[]).includes(item));
  if (bad.length > 0 || items.length === 0) {
    throw new SwarmOptionsError(`--${name} takes ${allowed.join(',')}, got "${raw}"`);
  }
  return [...new Set(items as T[])];
}

/**
 * Flags as the bench runner passes them (`--window-sec 60` → `{ window_sec: '60' }`; a bare
 * flag is `'true'`). Unknown flags are refused, naming the flag.
 */
export function parseSwarmOptions(flags: Readonly<Record<string, string>>): SwarmOptions {
  const base = flags.quick === 'true' ? QUICK : FULL;
  const options: SwarmOptions = { ...base, scenarios: [...base.scenarios], peers: [...base.peers] };
  for (const [key, raw] of Object.entries(flags)) {
    const name = key.replace(/_/g, '-');
    switch (name) {
      case 'quick':
        if (raw !== 'true' && raw !== 'false')
          throw new SwarmOptionsError('--quick takes no value');
        break;
      case 'browsers':
        options.browsers = integer(name, raw, 0, 32);
        break;
      case 'peers':
        options.peers =
          raw.trim() === '0' || raw.trim() === 'none'
            ? []
            : [...new Set(raw.split(',').map((item) => integer(name, item, 2, 1000)))].sort(
                (a, b) => a - b,
              );
        break;
      case 'scenarios':
        options.scenarios = list(name, raw, ['live', 'vod'] as const);
        break;
      case 'deliveries':
        options.deliveries = list(name, raw, ['p2p', 'cdn'] as const);
        break;
      case 'window-sec':
        options.windowSec = number(name, raw, 5, 3600);
        break;
      case 'live-join-sec':
        options.liveJoinMs = number(name, raw, 0, 600) * 1000;
        break;
      case 'vod-join-sec':
        options.vodJoinMs = number(name, raw, 0, 600) * 1000;
        break;
      case 'peer-live-join-ms':
        options.peerLiveJoinMs = integer(name, raw, 0, 600_000);
        break;
      case 'peer-vod-join-ms':
        options.peerVodJoinMs = integer(name, raw, 0, 600_000);
        break;
      case 'clip-sec':
        options.clipSec = integer(name, raw, 10, 1800);
        break;
      case 'settle-timeout-sec':
        options.settleTimeoutSec = number(name, raw, 1, 600);
        break;
      case 'peers-per-process':
        options.peersPerProcess = integer(name, raw, 1, 200);
        break;
      case 'sample-sec':
        options.sampleSec = number(name, raw, 0.5, 60);
        break;
      case 'rounds':
        options.rounds = integer(name, raw, 1, 10);
        break;
      case 'joiners':
        options.joiners = integer(name, raw, 0, 20);
        break;
      case 'cdn-first':
        if (raw !== 'true' && raw !== 'false')
          throw new SwarmOptionsError('--cdn-first takes no value');
        options.cdnFirst = raw === 'true';
        break;
      case 'diagnose':
        if (raw !== 'true' && raw !== 'false')
          throw new SwarmOptionsError('--diagnose takes no value');
        options.diagnose = raw === 'true';
        break;
      case 'out':
        options.out = resultName(name, raw);
        break;
      case 'pool':
        options.pool = [...new Set(raw.split(',').map((item) => resultName(name, item.trim())))];
        break;
      default:
        throw new SwarmOptionsError(
          `unknown flag --${name}; the swarm benchmark takes:\n${SWARM_FLAGS_HELP}`,
        );
    }
  }
  if (options.pool.length > 0) {
    const runFlags = Object.keys(flags).filter((key) => key !== 'pool' && key !== 'out');
    if (runFlags.length > 0)
      throw new SwarmOptionsError(
        `--pool runs nothing and takes only --out, not --${runFlags[0]!.replace(/_/g, '-')}`,
      );
    if (flags.out === undefined) options.out = POOLED_OUT;
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
