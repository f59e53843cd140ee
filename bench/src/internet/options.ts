import { z } from 'zod';

/** `npm run bench -- internet [--viewers 10] [--seed 1] [--watch-sec 40] [--scenarios vod,live]`. */
export const INTERNET_FLAGS_HELP = `Flags:
  --viewers N             homes, one werift viewer each (2..24, default 10)
  --seed S                seed of the population draw (default 1)
  --watch-sec S           each viewer watches S seconds (10..300, default 40)
  --scenarios LIST        vod,live (default both)
  --vod-join-ms MS        VOD joins this far apart (default 2000)
  --live-join-ms MS       LIVE joins this far apart (default 1000)
  --quick                 6 viewers, 25 s each`;

const intIn = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const schema = z
  .object({
    viewers: intIn(2, 24).default(10),
    seed: intIn(0, 2 ** 31).default(1),
    watch_sec: intIn(10, 300).default(40),
    scenarios: z
      .string()
      .default('vod,live')
      .transform((text) => text.split(',').map((s) => s.trim()))
      .pipe(z.array(z.enum(['vod', 'live'])).min(1)),
    vod_join_ms: intIn(0, 30_000).default(2000),
    live_join_ms: intIn(0, 30_000).default(1000),
    quick: z.enum(['true', 'false']).default('false'),
  })
  .strict();

export interface InternetOptions {
  viewers: number;
  seed: number;
  watchSec: number;
  scenarios: Array<'vod' | 'live'>;
  vodJoinIntervalMs: number;
  liveJoinIntervalMs: number;
}

export class InternetOptionsError extends Error {}

/** Parse the flags once; a bad one is a clear error before anything starts. */
export function parseInternetOptions(flags: Record<string, string>): InternetOptions {
  const parsed = schema.safeParse(flags);
  if (!parsed.success)
    throw new InternetOptionsError(
      parsed.error.issues
        .map((i) => `--${String(i.path[0] ?? '?').replace(/_/g, '-')}: ${i.message}`)
        .join('; '),
    );
  const f = parsed.data;
  const quick = f.quick === 'true';
  return {
    viewers: quick ? 6 : f.viewers,
    seed: f.seed,
    watchSec: quick ? 25 : f.watch_sec,
    scenarios: f.scenarios,
    vodJoinIntervalMs: f.vod_join_ms,
    liveJoinIntervalMs: f.live_join_ms,
  };
}
