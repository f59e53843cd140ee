import { resolve } from 'node:path';
import { REGION_PATTERN } from '@coral-cdn/protocol';
import { baseServiceFields } from '@coral-cdn/server-kit';
import { z } from 'zod';
import { ConfigError } from '@coral-cdn/server-kit';
import { parseOperatorKeys, type OperatorKey } from './auth/operator-keys.js';
import { DEFAULT_LADDER, parseLadder } from './packaging/ladder.js';

/** Origin configuration: env vars (flags mirror them), parsed once by `loadConfigOrExit`. */

const X264_PRESETS = [
  'ultrafast',
  'superfast',
  'veryfast',
  'faster',
  'fast',
  'medium',
  'slow',
  'slower',
  'veryslow',
] as const;

export interface EdgeConfig {
  readonly region: string;
  readonly url: string;
}

function httpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function wsUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'ws:' || url.protocol === 'wss:';
  } catch {
    return false;
  }
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');

const edgesSchema = z.string().transform((text, ctx): EdgeConfig[] => {
  const edges: EdgeConfig[] = [];
  for (const item of text.split(',').map((part) => part.trim())) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    const region = eq < 0 ? '' : item.slice(0, eq).trim();
    const url = eq < 0 ? '' : item.slice(eq + 1).trim();
    if (!REGION_PATTERN.test(region) || !httpUrl(url)) {
      ctx.addIssue({
        code: 'custom',
        message: `"${item}" is not <region>=<http(s) URL> (region: 1-32 of [a-z0-9-])`,
      });
      return z.NEVER;
    }
    if (edges.some((edge) => edge.region === region)) {
      ctx.addIssue({ code: 'custom', message: `region "${region}" is listed twice` });
      return z.NEVER;
    }
    edges.push({ region, url: trimSlash(url) });
  }
  if (edges.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'at least one edge is needed' });
    return z.NEVER;
  }
  return edges;
});

const trackerUrlsSchema = z.string().transform((text, ctx) => {
  const urls = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  const bad = urls.find((url) => !wsUrl(url));
  if (bad !== undefined || urls.length === 0) {
    ctx.addIssue({
      code: 'custom',
      message: bad ? `"${bad}" is not a ws:// or wss:// URL` : 'at least one URL is needed',
    });
    return z.NEVER;
  }
  return urls;
});

const ladderSchema = z
  .string()
  .default(DEFAULT_LADDER)
  .transform((text, ctx) => {
    const result = parseLadder(text);
    if (!result.ok) {
      ctx.addIssue({ code: 'custom', message: result.error });
      return z.NEVER;
    }
    return result.value;
  });

const portRangeSchema = z.string().transform((text, ctx) => {
  const match = /^(\d{1,5})-(\d{1,5})$/.exec(text.trim());
  const first = Number(match?.[1]);
  const last = Number(match?.[2]);
  if (!match || first < 1 || last > 65_535 || first > last) {
    ctx.addIssue({ code: 'custom', message: 'expected <first>-<last>, e.g. 19350-19399' });
    return z.NEVER;
  }
  return { first, last };
});

const sizeSchema = z.string().transform((text, ctx) => {
  const match = /^(\d{2,5})x(\d{2,5})$/.exec(text.trim());
  const width = Number(match?.[1]);
  const height = Number(match?.[2]);
  if (!match || width % 2 !== 0 || height % 2 !== 0) {
    ctx.addIssue({ code: 'custom', message: 'expected <width>x<height> with even numbers' });
    return z.NEVER;
  }
  return { width, height };
});

/** Express's `trust proxy`: a hop count, or addresses / subnets / loopback, linklocal, uniquelocal. */
const trustProxySchema = z.string().transform((text, ctx): number | string[] | false => {
  const value = text.trim();
  if (value === '' || value === 'false' || value === '0') return false;
  if (/^\d{1,2}$/.test(value)) return Number(value);
  const items = value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (items.some((item) => !/^[0-9A-Za-z.:/]+$/.test(item))) {
    ctx.addIssue({ code: 'custom', message: 'expected a hop count or a comma list of addresses' });
    return z.NEVER;
  }
  return items;
});
/** Comma-separated ICE server URLs, each starting with one of `schemes`. */
const iceUrlsSchema = (schemes: string[]) =>
  z.string().transform((text, ctx) => {
    const urls = text
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '');
    const bad = urls.find((url) => !schemes.some((scheme) => url.startsWith(scheme)));
    if (bad !== undefined) {
      ctx.addIssue({ code: 'custom', message: `"${bad}" is not a ${schemes.join('/')} URL` });
      return z.NEVER;
    }
    return urls;
  });

const listSchema = z.string().transform((text) =>
  text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== ''),
);

export const originConfigSchema = z
  .object({
    ...baseServiceFields(8080),
    DATA_DIR: z.string().min(1).default('.coral-data/origin'),
    PUBLIC_URL: z.string().refine(httpUrl, 'must be an http(s) URL').optional(),
    EDGES: edgesSchema.default([{ region: 'local', url: 'http://127.0.0.1:8081' }]),
    DEFAULT_REGION: z.string().regex(REGION_PATTERN, 'region: 1-32 of [a-z0-9-]').optional(),
    TRACKER_URLS: trackerUrlsSchema.default(['ws://127.0.0.1:8090/ws']),
    FFMPEG_PATH: z.string().min(1).optional(),
    FFPROBE_PATH: z.string().min(1).optional(),
    MAX_UPLOAD_BYTES: z.coerce
      .number()
      .int()
      .min(1)
      .default(4 * 1024 ** 3),
    JOB_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
    LADDER: ladderSchema,
    X264_PRESET: z.enum(X264_PRESETS).default('veryfast'),
    LIVE_X264_PRESET: z.enum(X264_PRESETS).default('ultrafast'),
    SEGMENT_DURATION_SEC: z.coerce.number().int().min(1).max(10).default(2),
    LIVE_WINDOW_SEGMENTS: z.coerce.number().int().min(3).max(100).default(6),
    LIVE_SOURCES_DIR: z.string().min(1).optional(),
    LIVE_TESTSRC_SIZE: sizeSchema.default({ width: 1280, height: 720 }),
    LIVE_TESTSRC_FPS: z.coerce.number().int().min(1).max(60).default(30),
    LIVE_INGEST_HOST: z.string().min(1).optional(),
    LIVE_INGEST_PORTS: portRangeSchema.default({ first: 19350, last: 19399 }),
    LIVE_POLL_MS: z.coerce.number().int().min(10).max(5000).default(100),
    TOKEN_TTL_SEC: z.coerce.number().int().min(10).max(86_400).default(900),
    CORS_ORIGINS: listSchema.default(['*']),
    INTEGRITY_KEY_FILE: z.string().min(1).optional(),
    // Secrets are checked in resolveConfig: a schema error would echo the value.
    OPERATOR_API_KEYS: z.string().optional(),
    MAX_QUEUED_JOBS: z.coerce.number().int().min(1).max(10_000).default(16),
    MAX_LIVE_CHANNELS: z.coerce.number().int().min(1).max(1000).default(8),
    PLAYBACK_RATE_PER_SEC: z.coerce.number().positive().max(100_000).default(2),
    PLAYBACK_BURST: z.coerce.number().int().min(1).max(1_000_000).default(60),
    PLAYBACK_AUTH: z.enum(['none', 'signed']).default('none'),
    PLAYBACK_SIGNING_SECRET: z.string().optional(),
    TRUST_PROXY: trustProxySchema.default(false),
    TOKEN_KEY_FILE: z.string().min(1).optional(),
    ICE_STUN_URLS: iceUrlsSchema(['stun:', 'stuns:']).default([]),
    ICE_TURN_URLS: iceUrlsSchema(['turn:', 'turns:']).default([]),
    TURN_SECRET: z.string().min(16, 'at least 16 characters').optional(),
    TURN_CREDENTIAL_TTL_SEC: z.coerce.number().int().min(60).max(86_400).default(3600),
    TURN_FOR_PEERS: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
  })
  .superRefine((config, ctx) => {
    if (config.PLAYBACK_AUTH === 'signed' && config.PLAYBACK_SIGNING_SECRET === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['PLAYBACK_SIGNING_SECRET'],
        message: 'required when PLAYBACK_AUTH=signed',
      });
    }
    if (config.ICE_TURN_URLS.length > 0 && config.TURN_SECRET === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['TURN_SECRET'],
        message: 'required with ICE_TURN_URLS (the TURN REST-API shared secret)',
      });
    }
    if (
      config.DEFAULT_REGION !== undefined &&
      !config.EDGES.some((edge) => edge.region === config.DEFAULT_REGION)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['DEFAULT_REGION'],
        message: `not one of the EDGES regions (${config.EDGES.map((e) => e.region).join(', ')})`,
      });
    }
  });

export type RawOriginConfig = z.infer<typeof originConfigSchema>;

/** The parsed configuration with every default resolved. */
export interface OriginConfig extends Omit<
  RawOriginConfig,
  | 'DATA_DIR'
  | 'PUBLIC_URL'
  | 'DEFAULT_REGION'
  | 'LIVE_SOURCES_DIR'
  | 'LIVE_INGEST_HOST'
  | 'OPERATOR_API_KEYS'
> {
  /** Parsed keys; undefined: the origin uses (or makes) its generated development key. */
  readonly OPERATOR_API_KEYS: readonly OperatorKey[] | undefined;
  readonly DATA_DIR: string;
  readonly PUBLIC_URL: string;
  readonly DEFAULT_REGION: string;
  readonly LIVE_SOURCES_DIR: string;
  readonly LIVE_INGEST_HOST: string;
}

/** The secrets, checked apart so that an error names the variable but never echoes it. */
function checkSecrets(raw: RawOriginConfig): readonly OperatorKey[] | undefined {
  if ((raw.PLAYBACK_SIGNING_SECRET?.length ?? 32) < 32) {
    throw new ConfigError('PLAYBACK_SIGNING_SECRET', 'at least 32 characters');
  }
  if (raw.OPERATOR_API_KEYS === undefined) return undefined;
  const parsed = parseOperatorKeys(raw.OPERATOR_API_KEYS);
  if (!parsed.ok) throw new ConfigError('OPERATOR_API_KEYS', parsed.error);
  return parsed.keys;
}

/**
 * Resolve paths (relative to `cwd`) and defaults that depend on other values. Throws
 * ConfigError for a bad secret.
 */
export function resolveConfig(raw: RawOriginConfig, cwd = process.cwd()): OriginConfig {
  const operatorKeys = checkSecrets(raw);
  const dataDir = resolve(cwd, raw.DATA_DIR);
  const hostForUrl = raw.HOST.includes(':') ? `[${raw.HOST}]` : raw.HOST;
  return {
    ...raw,
    DATA_DIR: dataDir,
    PUBLIC_URL: trimSlash(raw.PUBLIC_URL ?? `http://${hostForUrl}:${raw.PORT}`),
    DEFAULT_REGION: raw.DEFAULT_REGION ?? raw.EDGES[0]!.region,
    LIVE_SOURCES_DIR: resolve(cwd, raw.LIVE_SOURCES_DIR ?? resolve(dataDir, 'sources')),
    LIVE_INGEST_HOST: raw.LIVE_INGEST_HOST ?? raw.HOST,
    OPERATOR_API_KEYS: operatorKeys,
  };
}
