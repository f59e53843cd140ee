/**
 * CDN-Cache-Control (RFC 9213) is a Structured Field dictionary (RFC 8941). A value that is
 * not a valid dictionary, or whose known directives have the wrong type, is ignored as a
 * whole (the response's Cache-Control then applies).
 */

const KEY = /^[a-z*][a-z0-9_\-.*]*$/;
const ITEM =
  /^(?:-?\d{1,15}(?:\.\d{1,3})?|"(?:[^"\\]|\\["\\])*"|[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*|\?[01])$/;
const INTEGER_DIRECTIVES = new Set([
  'max-age',
  's-maxage',
  'stale-while-revalidate',
  'stale-if-error',
]);

/** Directive → argument text (undefined for a bare `true`), or undefined when invalid. */
export function parseCdnCacheControl(
  header: string | undefined,
): Map<string, string | undefined> | undefined {
  if (header === undefined) return undefined;
  const values = new Map<string, string | undefined>();
  for (const rawMember of header.split(',')) {
    const member = rawMember.replace(/^[ \t]+|[ \t]+$/g, '');
    // Parameters (`;a=1`) are allowed by the syntax and carry nothing the edge uses.
    const [item = ''] = member.split(';');
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    const value = eq < 0 ? undefined : item.slice(eq + 1);
    if (!KEY.test(key)) return undefined;
    if (value !== undefined && !ITEM.test(value)) return undefined;
    if (INTEGER_DIRECTIVES.has(key) && (value === undefined || !/^\d+$/.test(value))) {
      return undefined;
    }
    // A later duplicate key overrides an earlier one in a dictionary.
    values.set(key, value === '?1' ? undefined : value);
    if (value === '?0') values.delete(key);
  }
  return values;
}
