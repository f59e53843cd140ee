import type { HttpHeaders } from '../http/headers.js';
import { parseHttpDate } from '../http/http-date.js';
import { parseCdnCacheControl } from './cdn-cache-control.js';

/** Response Cache-Control directives a shared cache acts on (RFC 9111 §5.2.2, RFC 5861). */
export interface CacheDirectives {
  readonly noStore: boolean;
  readonly private: boolean;
  readonly noCache: boolean;
  readonly public: boolean;
  /** must-revalidate or proxy-revalidate: never serve stale. */
  readonly mustRevalidate: boolean;
  readonly maxAgeSec: number | undefined;
  readonly sMaxAgeSec: number | undefined;
  readonly staleWhileRevalidateSec: number | undefined;
  readonly staleIfErrorSec: number | undefined;
}

/** RFC 9111 §1.2.2: overflowing delta-seconds mean "a very long time". */
const MAX_DELTA_SEC = 2_147_483_648;

/** delta-seconds; a malformed value (quoted, signed, decimal, letters) is undefined. */
function deltaSeconds(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Math.min(Number(value), MAX_DELTA_SEC);
}

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Directive name → raw argument, first occurrence wins; commas inside quotes do not split. */
export function directiveMap(header: string | undefined): Map<string, string | undefined> {
  const values = new Map<string, string | undefined>();
  if (header === undefined) return values;
  for (const part of header.match(/(?:[^,"]|"(?:[^"\\]|\\.)*")+/g) ?? []) {
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (name === '' || values.has(name)) continue;
    values.set(name, eq < 0 ? undefined : part.slice(eq + 1).trim());
  }
  return values;
}

export function directivesFrom(values: Map<string, string | undefined>): CacheDirectives {
  return {
    noStore: values.has('no-store'),
    // `private="field"` and `no-cache="field"` are treated as their unqualified forms: safer.
    private: values.has('private'),
    noCache: values.has('no-cache'),
    public: values.has('public'),
    // s-maxage implies proxy-revalidate for a shared cache (RFC 9111 §5.2.2.10).
    mustRevalidate:
      values.has('must-revalidate') || values.has('proxy-revalidate') || values.has('s-maxage'),
    maxAgeSec: values.has('max-age') ? (deltaSeconds(values.get('max-age')) ?? 0) : undefined,
    sMaxAgeSec: values.has('s-maxage') ? (deltaSeconds(values.get('s-maxage')) ?? 0) : undefined,
    staleWhileRevalidateSec: deltaSeconds(values.get('stale-while-revalidate')),
    staleIfErrorSec: deltaSeconds(values.get('stale-if-error')),
  };
}

export function parseCacheControl(header: string | undefined): CacheDirectives {
  return directivesFrom(directiveMap(header));
}

/**
 * The directives the edge obeys: `CDN-Cache-Control` (RFC 9213) when valid, else
 * `Surrogate-Control`, else `Cache-Control`. A targeted field replaces Cache-Control and
 * Expires for the edge's own decisions; `targeted` says one was used.
 */
export function effectiveDirectives(headers: HttpHeaders): {
  directives: CacheDirectives;
  targeted: boolean;
} {
  const cdn = parseCdnCacheControl(headerValue(headers['cdn-cache-control']));
  if (cdn !== undefined) return { directives: directivesFrom(cdn), targeted: true };
  const surrogate = headerValue(headers['surrogate-control']);
  if (surrogate !== undefined) {
    // Targeted members (`max-age=60;edge1`) are taken as addressed to this edge.
    const untargeted = surrogate.replace(/;[^,]*/g, '');
    return { directives: parseCacheControl(untargeted), targeted: true };
  }
  return { directives: parseCacheControl(headerValue(headers['cache-control'])), targeted: false };
}

export interface PolicyLimits {
  /** Freshness when the origin gives none. */
  readonly defaultTtlSec: number;
  /** Upper bound (and default) of the stale windows. */
  readonly staleWhileRevalidateSec: number;
  readonly staleIfErrorSec: number;
}

export type StoragePolicy =
  | { readonly storable: false; readonly reason: string }
  | {
      readonly storable: true;
      /** Lifetime counted from the response's generation at the origin. */
      readonly freshnessSec: number;
      /** The response's age when received (its Age header, corrected by its Date). */
      readonly initialAgeSec: number;
      readonly staleWhileRevalidateSec: number;
      readonly staleIfErrorSec: number;
    };

/** Statuses cacheable by default: stored with heuristic (here: DEFAULT_TTL_SEC) freshness. */
const HEURISTIC_STATUSES = new Set([200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501]);

/** A stale window: the origin's value capped by the edge's limit, the limit when absent. */
function window(originSec: number | undefined, limitSec: number): number {
  return originSec === undefined ? limitSec : Math.min(originSec, limitSec);
}

/** Age (RFC 9111 §5.1): the first value of the first line; anything malformed is ignored. */
export function parseAge(value: string | string[] | undefined): number {
  const first = (Array.isArray(value) ? value[0] : value)?.split(',')[0]?.trim();
  return deltaSeconds(first) ?? 0;
}

export interface ResponseContext {
  readonly statusCode: number;
  /** The request carried Authorization (RFC 9111 §3.5). */
  readonly authorized?: boolean;
}

/** Whether and for how long a response may be stored and served (RFC 9111 §3, §4.2). */
export function storagePolicy(
  headers: HttpHeaders,
  limits: PolicyLimits,
  receivedAtMs: number,
  response: ResponseContext = { statusCode: 200 },
): StoragePolicy {
  const { statusCode } = response;
  const { directives, targeted } = effectiveDirectives(headers);
  const cacheControl = parseCacheControl(headerValue(headers['cache-control']));
  if (directives.noStore) return { storable: false, reason: 'no-store' };
  if (directives.private || (targeted && cacheControl.private)) {
    return { storable: false, reason: 'private' };
  }
  if (headers['set-cookie'] !== undefined) return { storable: false, reason: 'set-cookie' };
  if (headerValue(headers.vary)?.includes('*')) return { storable: false, reason: 'vary-star' };
  // 206 (the edge never asks for ranges) and 304 are never stored as such.
  if (statusCode < 200 || statusCode === 206 || statusCode === 304) {
    return { storable: false, reason: 'status' };
  }
  if (
    response.authorized === true &&
    !cacheControl.public &&
    cacheControl.sMaxAgeSec === undefined &&
    !cacheControl.mustRevalidate
  ) {
    return { storable: false, reason: 'authorization' };
  }

  const noCache =
    directives.noCache ||
    (!targeted &&
      headers['cache-control'] === undefined &&
      /no-cache/i.test(headerValue(headers.pragma) ?? ''));
  let freshnessSec: number | undefined;
  if (noCache) freshnessSec = 0;
  else if (!targeted && directives.sMaxAgeSec !== undefined) freshnessSec = directives.sMaxAgeSec;
  else if (directives.maxAgeSec !== undefined) freshnessSec = directives.maxAgeSec;
  else if (!targeted && headers.expires !== undefined) {
    // Several Expires lines or an invalid date: already expired (§5.3).
    const expiresText = headers.expires;
    const expiresMs = Array.isArray(expiresText) ? undefined : parseHttpDate(expiresText);
    const dateMs = parseHttpDate(headerValue(headers.date)) ?? receivedAtMs;
    freshnessSec =
      expiresMs === undefined ? 0 : Math.max(0, Math.floor((expiresMs - dateMs) / 1000));
  } else if (HEURISTIC_STATUSES.has(statusCode) || directives.public) {
    freshnessSec = limits.defaultTtlSec;
  }
  if (freshnessSec === undefined) return { storable: false, reason: 'no explicit freshness' };

  const hasValidator = headers.etag !== undefined || headers['last-modified'] !== undefined;
  if (freshnessSec === 0 && !(hasValidator && statusCode === 200)) {
    return { storable: false, reason: 'no freshness and no validator' };
  }
  const noStale = noCache || directives.mustRevalidate;
  return {
    storable: true,
    freshnessSec,
    // The Age header only: the apparent age from Date (§4.2.3) is left out, as Varnish does,
    // because a skewed origin clock would make every object stale on arrival.
    initialAgeSec: parseAge(headers.age),
    staleWhileRevalidateSec: noStale
      ? 0
      : window(directives.staleWhileRevalidateSec, limits.staleWhileRevalidateSec),
    staleIfErrorSec: noStale ? 0 : window(directives.staleIfErrorSec, limits.staleIfErrorSec),
  };
}
