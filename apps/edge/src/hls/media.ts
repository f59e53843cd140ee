/**
 * What the edge knows as HLS media, and how their cache keys lose what cannot change the bytes.
 * Segments and init segments are immutable: a query parameter the origin does not use, a
 * Cookie or an Authorization header must not make a new cache key or reach the origin
 * (otherwise `?x=N` or a per-viewer cookie turns every request into an origin fetch).
 */

export type MediaKind = 'playlist' | 'segment' | 'other';

const SEGMENT_EXTENSIONS = new Set(['m4s', 'mp4', 'ts', 'm4a', 'm4v', 'aac', 'cmfv', 'cmfa']);

export function mediaKind(pathname: string): MediaKind {
  const dot = pathname.lastIndexOf('.');
  if (dot < 0 || dot < pathname.lastIndexOf('/')) return 'other';
  const extension = pathname.slice(dot + 1).toLowerCase();
  if (extension === 'm3u8') return 'playlist';
  return SEGMENT_EXTENSIONS.has(extension) ? 'segment' : 'other';
}

/** A query allow-list: exact names, or prefixes written `name*`. */
export interface QueryAllowList {
  readonly exact: ReadonlySet<string>;
  readonly prefixes: readonly string[];
}

/** `"_HLS_*,token"` → an allow-list; an empty text allows nothing. */
export function parseAllowList(text: string): QueryAllowList {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const item of text.split(',')) {
    const name = item.trim();
    if (name === '') continue;
    if (name.endsWith('*')) prefixes.push(name.slice(0, -1));
    else exact.add(name);
  }
  return { exact, prefixes };
}

function allowed(name: string, list: QueryAllowList): boolean {
  return list.exact.has(name) || list.prefixes.some((prefix) => name.startsWith(prefix));
}

/**
 * The key of a normalised target (`/a/b.m4s?x=1`, parameters already sorted) with only the
 * allowed parameters kept.
 */
export function filterQuery(key: string, list: QueryAllowList): string {
  const questionMark = key.indexOf('?');
  if (questionMark < 0) return key;
  const kept = key
    .slice(questionMark + 1)
    .split('&')
    .filter((param) => {
      const eq = param.indexOf('=');
      return allowed(eq < 0 ? param : param.slice(0, eq), list);
    });
  const path = key.slice(0, questionMark);
  return kept.length === 0 ? path : `${path}?${kept.join('&')}`;
}
