import { availableParallelism } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { LIVE_SYNC_SEGMENTS } from '@coral-cdn/protocol';
import { z } from 'zod';
import { booleanFlag, FlagError, intFlag, parseFlags } from '../lib/flags.js';

/** `npm run bench -- internet [--viewers 10] [--seed 1] [--watch-sec 40] [--scenarios vod,live]`. */
export const INTERNET_FLAGS_HELP = `Flags:
  --viewers N             homes, one werift viewer each (2..24, default 10)
  --seed S                seed of the population draw (default 1)
  --watch-sec S           each viewer watches S seconds (10..300, default 40)
  --scenarios LIST        vod,live (default both)
  --vod-join-ms MS        VOD joins this far apart (default 2000)
  --live-join-ms MS       LIVE joins this far apart (default 1000)
  --log-dir DIR           keep each viewer's logs (debug level) and stats lines there, one file
                          per scenario, run and home (e.g. live-p2p-home4.log)
  --viewer-kind KIND      werift (default: one coral-peer process per home) or chromium (one
                          headless Chromium on the reference player per home, at most 3 per
                          core: 6 on 2 cores)
  --live-sync-segments N  LIVE viewers, with and without P2P, start N segments behind the live
                          edge (default: the player's, ${LIVE_SYNC_SEGMENTS.default})
  --quick                 6 viewers, 25 s each`;

const internetFlags = z.object({
  viewers: intFlag(2, 24, 10),
  seed: intFlag(0, 2 ** 31, 1),
  watch_sec: intFlag(10, 300, 40),
  scenarios: z
    .string()
    .default('vod,live')
    .transform((text) => text.split(',').map((s) => s.trim()))
    .pipe(z.array(z.enum(['vod', 'live'])).min(1)),
  vod_join_ms: intFlag(0, 30_000, 2000),
  live_join_ms: intFlag(0, 30_000, 1000),
  log_dir: z
    .string()
    .refine((dir) => dir !== 'true' && dir.trim() !== '', 'needs a folder')
    .optional(),
  viewer_kind: z.enum(['werift', 'chromium']).default('werift'),
  live_sync_segments: z.coerce
    .number()
    .int()
    .min(LIVE_SYNC_SEGMENTS.min)
    .max(LIVE_SYNC_SEGMENTS.max)
    .optional(),
  quick: booleanFlag(),
});

/**
 * Each Chromium home is a browser of its own. On 2 cores 6 started in 1.7–6 s; 10 took 7–16 s
 * to start with P2P (2.3× CDN-only), a figure of the machine, not of Coral.
 */
export const CHROMIUM_VIEWERS_PER_CORE = 3;

export interface InternetOptions {
  viewers: number;
  seed: number;
  watchSec: number;
  scenarios: Array<'vod' | 'live'>;
  vodJoinIntervalMs: number;
  liveJoinIntervalMs: number;
  /** Absolute folder for the viewers' logs (null: not kept). */
  logDir: string | null;
  viewerKind: 'werift' | 'chromium';
  /** LIVE viewers start this many segments behind the live edge (null: the player's default). */
  liveSyncSegments: number | null;
}

/**
 * Parse the flags once (lib/flags: an unknown or bad one is a FlagError naming it, before
 * anything starts). A relative --log-dir is taken from where npm was run (`INIT_CWD`).
 */
export function parseInternetOptions(
  flags: Readonly<Record<string, string>>,
  baseDir: string = process.env.INIT_CWD ?? process.cwd(),
  cores: number = availableParallelism(),
): InternetOptions {
  const f = parseFlags(internetFlags, flags);
  const viewers = f.quick ? 6 : f.viewers;
  const maxBrowsers = CHROMIUM_VIEWERS_PER_CORE * cores;
  if (f.viewer_kind === 'chromium' && viewers > maxBrowsers)
    throw new FlagError(
      `--viewers ${viewers} with --viewer-kind chromium: at most ${maxBrowsers} on ${cores} ` +
        `cores (one browser per home); use werift viewers for larger swarms`,
    );
  return {
    viewers,
    viewerKind: f.viewer_kind,
    liveSyncSegments: f.live_sync_segments ?? null,
    seed: f.seed,
    watchSec: f.quick ? 25 : f.watch_sec,
    scenarios: f.scenarios,
    vodJoinIntervalMs: f.vod_join_ms,
    liveJoinIntervalMs: f.live_join_ms,
    logDir:
      f.log_dir === undefined
        ? null
        : isAbsolute(f.log_dir)
          ? f.log_dir
          : resolve(baseDir, f.log_dir),
  };
}
