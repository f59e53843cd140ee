import type { HttpHeaders } from '../http/headers.js';

/** Response Cache-Control directives a shared cache acts on (RFC 9111 §5.2.2, RFC 5861). */
export interface CacheDirectives {
  readonly noStore: boolean;
  readonly private: boolean;
  readonly noCache: boolean;
  /** must-revalidate or proxy-revalidate: never serve stale. */
  readonly mustRevalidate: boolean;
  readonly maxAgeSec: number | undefined;
  readonly sMaxAgeSec: number | undefined;
  readonly staleWhileRevalidateSec: number | undefined;
  readonly staleIfErrorSec: number | undefined;
}

function deltaSeconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const unquoted = value.replace(/^"(.*)"$/, '$1');
  if (!/^\d+$/.test(unquoted)) return undefined;
  // RFC 9111 §1.2.2: overflowing delta-seconds mean "a very long time".
  return Math.min(Number(unquoted), 2_147_483_648);
}

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

export function parseCacheControl(header: string | undefined): CacheDirectives {
  const values = new Map<string, string | undefined>();
  for (const part of (header ?? '').split(',')) {
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (name === '' || values.has(name)) continue;
    values.set(name, eq < 0 ? undefined : part.slice(eq + 1).trim());
  }
  return {
    noStore: values.has('no-store'),
    // `private="field"` and `no-cache="field"` are treated as their unqualified forms: safer.
    private: values.has('private'),
    noCache: values.has('no-cache'),
    mustRevalidate: values.has('must-revalidate') || values.has('proxy-revalidate'),
    maxAgeSec: deltaSeconds(values.get('max-age')),
    sMaxAgeSec: deltaSeconds(values.get('s-maxage')),
    staleWhileRevalidateSec: deltaSeconds(values.get('stale-while-revalidate')),
    staleIfErrorSec: deltaSeconds(values.get('stale-if-error')),
  };
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
      /** The response's age when received (its Age header). */
      readonly initialAgeSec: number;
      readonly staleWhileRevalidateSec: number;
      readonly staleIfErrorSec: number;
    };

/** A stale window: the origin's value capped by the edge's limit, the limit when absent. */
function window(originSec: number | undefined, limitSec: number): number {
  return originSec === undefined ? limitSec : Math.min(originSec, limitSec);
}

/** Whether and for how long a 200 response may be stored and served (RFC 9111 §3, §4.2). */
export function storagePolicy(
  headers: HttpHeaders,
  limits: PolicyLimits,
  receivedAtMs: number,
): StoragePolicy {
  const cacheControl = headerValue(headers['cache-control']);
  const directives = parseCacheControl(cacheControl);
  if (directives.noStore) return { storable: false, reason: 'no-store' };
  if (directives.private) return { storable: false, reason: 'private' };
  if (headers['set-cookie'] !== undefined) return { storable: false, reason: 'set-cookie' };
  if (headerValue(headers.vary)?.includes('*')) return { storable: false, reason: 'vary-star' };

  const noCache =
    directives.noCache ||
    (cacheControl === undefined && /no-cache/i.test(headerValue(headers.pragma) ?? ''));
  let freshnessSec: number;
  if (noCache) freshnessSec = 0;
  else if (directives.sMaxAgeSec !== undefined) freshnessSec = directives.sMaxAgeSec;
  else if (directives.maxAgeSec !== undefined) freshnessSec = directives.maxAgeSec;
  else if (headers.expires !== undefined) {
    const expiresMs = Date.parse(headerValue(headers.expires)!);
    const date = headerValue(headers.date);
    const dateMs = date === undefined ? receivedAtMs : Date.parse(date);
    freshnessSec =
      Number.isNaN(expiresMs) || Number.isNaN(dateMs)
        ? 0
        : Math.max(0, Math.floor((expiresMs - dateMs) / 1000));
  } else freshnessSec = limits.defaultTtlSec;

  const hasValidator = headers.etag !== undefined || headers['last-modified'] !== undefined;
  if (freshnessSec === 0 && !hasValidator) {
    return { storable: false, reason: 'no freshness and no validator' };
  }
  const noStale = noCache || directives.mustRevalidate;
  const ageSec = deltaSeconds(headerValue(headers.age)) ?? 0;
  return {
    storable: true,
    freshnessSec,
    initialAgeSec: ageSec,
    staleWhileRevalidateSec: noStale
      ? 0
      : window(directives.staleWhileRevalidateSec, limits.staleWhileRevalidateSec),
    staleIfErrorSec: noStale ? 0 : window(directives.staleIfErrorSec, limits.staleIfErrorSec),
  };
}
