import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { baseServiceFields, booleanFlagSchema } from '@coral-cdn/server-kit';
import { z } from 'zod';

/** The built page (`vite build` output) next to this file's compiled form: dist/web. */
export const DEFAULT_WEB_DIR = join(dirname(fileURLToPath(import.meta.url)), 'web');

function httpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

const trackerStatsUrlsSchema = z.string().transform((text, ctx) => {
  const urls = text
    .split(',')
    .map((part) => part.trim().replace(/\/+$/, ''))
    .filter((part) => part !== '');
  const bad = urls.find((url) => !httpUrl(url));
  if (bad !== undefined) {
    ctx.addIssue({ code: 'custom', message: `"${bad}" is not an http(s) URL` });
    return z.NEVER;
  }
  return urls;
});

const iceServersSchema = z.string().transform((text, ctx) => {
  const urls = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  const bad = urls.find((url) => !/^(stun|stuns|turn|turns):[^\s]+$/.test(url));
  if (bad !== undefined) {
    ctx.addIssue({ code: 'custom', message: `"${bad}" is not a stun:/turn: URL` });
    return z.NEVER;
  }
  return urls.map((url) => ({ urls: url }));
});

export const playerConfigSchema = z
  .object({
    ...baseServiceFields(8000),
    /** The Coral origin whose playback API the page calls (from the viewer's browser). */
    ORIGIN_URL: z
      .string()
      .default('http://127.0.0.1:8080')
      .refine(httpUrl, 'must be an http(s) URL')
      .transform((url) => url.replace(/\/+$/, '')),
    /** P2P for a viewer who never touched the switch: on (opt-out) or off (opt-in). */
    P2P_DEFAULT: booleanFlagSchema.default(true),
    /** STUN/TURN servers handed to the page, comma-separated (default none: host candidates). */
    ICE_SERVERS: iceServersSchema.default([]),
    /**
     * Trackers whose /stats and /metrics the analytics page (/dashboard) adds up, comma-separated
     * HTTP base URLs as this server reaches them (not the browser); empty: no analytics.
     */
    TRACKER_STATS_URLS: trackerStatsUrlsSchema.default(['http://127.0.0.1:8090']),
    /** The built page; defaults to dist/web beside the server. */
    WEB_DIR: z.string().min(1).default(DEFAULT_WEB_DIR),
  })
  .superRefine((config, ctx) => {
    if (!existsSync(join(resolve(config.WEB_DIR), 'index.html'))) {
      ctx.addIssue({
        code: 'custom',
        path: ['WEB_DIR'],
        message: `${resolve(config.WEB_DIR)} has no index.html: build the page (npm run build -w apps/player)`,
      });
    }
  });

export type PlayerConfig = z.infer<typeof playerConfigSchema>;

/** What the page reads from /config.json. */
export interface PageConfig {
  originUrl: string;
  p2pDefault: boolean;
  iceServers: Array<{ urls: string }>;
}

export function pageConfig(config: PlayerConfig): PageConfig {
  return {
    originUrl: config.ORIGIN_URL,
    p2pDefault: config.P2P_DEFAULT,
    iceServers: config.ICE_SERVERS,
  };
}
