import type { HttpHeaders } from '../http/headers.js';
import { headerValue } from './policy.js';

/**
 * The client's request Cache-Control, as the edge honours it (RFC 9111 §5.2.1). A shared cache
 * may protect its origin, and the edge does so where a client could otherwise make it fetch
 * what it already holds:
 * - HLS media (playlists and segments): every request directive is ignored. Segments are
 *   immutable, playlists live for a second at most; a player gains nothing from a forced
 *   refetch and an audience forcing them would hammer the origin.
 * - Everything else: `no-cache` / `max-age=0` / `Pragma: no-cache` make the edge revalidate
 *   with the origin (a conditional request, so an unchanged object costs a 304, not its body);
 *   `max-age=N` and `min-fresh=N` tighten freshness; `max-stale` is ignored (the edge serves
 *   stale only inside its own windows); `only-if-cached` answers 504 when nothing usable is
 *   stored; `no-store` is ignored for storing (the response is shared anyway).
 */
export interface RequestDirectives {
  /** Revalidate even if fresh. */
  readonly revalidate: boolean;
  /** Max age the client accepts (seconds), if any. */
  readonly maxAgeSec: number | undefined;
  readonly minFreshSec: number | undefined;
  readonly onlyIfCached: boolean;
}

const NONE: RequestDirectives = {
  revalidate: false,
  maxAgeSec: undefined,
  minFreshSec: undefined,
  onlyIfCached: false,
};

function seconds(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

export function requestDirectives(headers: HttpHeaders): RequestDirectives {
  const cacheControl = headerValue(headers['cache-control']);
  if (cacheControl === undefined) {
    return /no-cache/i.test(headerValue(headers.pragma) ?? '')
      ? { ...NONE, revalidate: true }
      : NONE;
  }
  const values = new Map<string, string | undefined>();
  for (const part of cacheControl.split(',')) {
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (name !== '' && !values.has(name)) {
      values.set(
        name,
        eq < 0
          ? undefined
          : part
              .slice(eq + 1)
              .trim()
              .replace(/^"(.*)"$/, '$1'),
      );
    }
  }
  const maxAgeSec = seconds(values.get('max-age'));
  return {
    revalidate: values.has('no-cache') || maxAgeSec === 0,
    maxAgeSec,
    minFreshSec: seconds(values.get('min-fresh')),
    onlyIfCached: values.has('only-if-cached'),
  };
}

/** Whether a stored object of this age and remaining freshness satisfies the request. */
export function satisfies(
  directives: RequestDirectives,
  ageSec: number,
  remainingFreshSec: number,
): boolean {
  if (directives.revalidate) return false;
  if (directives.maxAgeSec !== undefined && ageSec > directives.maxAgeSec) return false;
  if (directives.minFreshSec !== undefined && remainingFreshSec < directives.minFreshSec) {
    return false;
  }
  return true;
}
