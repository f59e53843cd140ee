import { regionSchema } from '@coral-cdn/protocol';
import { baseServiceFields, parseConfig } from '@coral-cdn/server-kit';
import { availableParallelism } from 'node:os';
import { z } from 'zod';

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

/** "268435456", "256MiB", "256m", "1.5GiB", "500MB" → bytes (binary for k/m/g, decimal for kb/mb/gb). */
export function parseByteSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!match) return undefined;
  const unit = UNITS[match[2]!.toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Math.floor(Number(match[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

const byteSize = (min: number) =>
  z
    .string()
    .transform((value, context) => {
      const bytes = parseByteSize(value);
      if (bytes === undefined) {
        context.addIssue({ code: 'custom', message: 'expected a size like 268435456 or 256MiB' });
        return z.NEVER;
      }
      return bytes;
    })
    .pipe(z.number().int().min(min));

const seconds = z.coerce.number().min(0).max(31_536_000);
const milliseconds = (min: number) => z.coerce.number().int().min(min).max(600_000);

export const edgeConfigSchema = z
  .object({
    ...baseServiceFields(8081),
    /**
     * Plain 200 cache hits answered on the socket, in front of node:http (see fast/lane.ts);
     * false: node:http answers every request.
     */
    EDGE_FAST_LANE: z.stringbool().default(true),
    /** Worker processes sharing the port (1: a single process, no cluster). */
    EDGE_WORKERS: z.coerce.number().int().min(1).max(64).default(availableParallelism()),
    /** Where cache misses go: http(s)://host:port[/base-path]. */
    ORIGIN_URL: z
      .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
      .default('http://127.0.0.1:8080'),
    /** Reported in X-Coral-Edge, /stats and the metrics' region label. */
    EDGE_REGION: regionSchema.default('local'),
    /** Memory tier bound: body bytes plus header overhead of every cached object. */
    CACHE_MEMORY_BYTES: byteSize(1024 * 1024).default(256 * 1024 * 1024),
    /** Unset: no disk tier. */
    CACHE_DISK_DIR: z.string().min(1).optional(),
    CACHE_DISK_BYTES: byteSize(1024 * 1024).default(1024 * 1024 * 1024),
    /** Larger objects are streamed through without being cached. */
    MAX_OBJECT_BYTES: byteSize(1).default(64 * 1024 * 1024),
    /** Bodies held by fills still downloading (not yet stored), all fills together. */
    INFLIGHT_MAX_BYTES: byteSize(1024 * 1024).default(128 * 1024 * 1024),
    /** Freshness for 200s with no max-age/s-maxage/Expires (0: revalidate every time). */
    DEFAULT_TTL_SEC: seconds.default(0),
    /** Longest time an expired object is served (STALE) while one background refresh runs. */
    STALE_WHILE_REVALIDATE_SEC: seconds.default(1),
    /** Longest time an expired object is served (STALE) when the origin fails or times out. */
    STALE_IF_ERROR_SEC: seconds.default(300),
    /** Newest segments of a live media playlist fetched as soon as it changes (0: off). */
    PREFETCH_SEGMENTS: z.coerce.number().int().min(0).max(16).default(2),
    /** Query parameters kept in segment cache keys (names, `prefix*`); others are dropped. */
    SEGMENT_QUERY_ALLOW: z
      .string()
      .regex(/^[A-Za-z0-9_.*~,-]*$/, 'expected names like a,b_*')
      .default(''),
    /** Query parameters kept in playlist cache keys. */
    PLAYLIST_QUERY_ALLOW: z
      .string()
      .regex(/^[A-Za-z0-9_.*~,-]*$/, 'expected names like a,b_*')
      .default('_HLS_*'),
    /** Connect and response-headers timeout of one origin attempt. */
    ORIGIN_TIMEOUT_MS: milliseconds(1).default(5000),
    /** Origin timeout of blocking LL-HLS requests (playlists with _HLS_msn, hinted parts). */
    BLOCKING_TIMEOUT_MS: milliseconds(1).default(10_000),
    /** Longest silence between two body chunks from the origin. */
    ORIGIN_BODY_TIMEOUT_MS: milliseconds(1).default(15_000),
    /** Extra attempts after a connection error, timeout or 5xx (before any byte is sent). */
    ORIGIN_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
    /** Backoff before retry n is ORIGIN_RETRY_DELAY_MS × 2^(n-1). */
    ORIGIN_RETRY_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(100),
    /** Keep-alive connections to the origin. */
    ORIGIN_CONNECTIONS: z.coerce.number().int().min(1).max(4096).default(64),
    /** Longer request targets get 414. */
    MAX_URL_BYTES: z.coerce.number().int().min(64).max(16_384).default(2048),
    /** In-flight requests get this long to finish on SIGTERM. */
    SHUTDOWN_TIMEOUT_MS: milliseconds(100).default(10_000),
  })
  .superRefine((config, context) => {
    if (config.INFLIGHT_MAX_BYTES < config.MAX_OBJECT_BYTES) {
      context.addIssue({
        code: 'custom',
        path: ['INFLIGHT_MAX_BYTES'],
        message: `must be at least MAX_OBJECT_BYTES (${config.MAX_OBJECT_BYTES})`,
      });
    }
    if (config.MAX_OBJECT_BYTES > config.CACHE_MEMORY_BYTES) {
      context.addIssue({
        code: 'custom',
        path: ['MAX_OBJECT_BYTES'],
        message: `must not exceed CACHE_MEMORY_BYTES (${config.CACHE_MEMORY_BYTES})`,
      });
    }
  });

export type EdgeConfig = z.infer<typeof edgeConfigSchema>;

/** A full config from defaults plus overrides (tests, benchmarks). */
export function edgeConfig(overrides: Partial<Record<keyof EdgeConfig, string>> = {}): EdgeConfig {
  return parseConfig(edgeConfigSchema, { env: overrides });
}
