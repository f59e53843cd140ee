import type { HttpHeaders } from '../http/headers.js';

/**
 * Vary (RFC 9111 §4.1): a stored response is used only for requests whose listed header
 * fields match those of the request that fetched it. The edge keeps one stored variant per
 * combination of values, under a secondary key derived from them.
 */

/** Lower-cased field names of a Vary header; ['*'] when it contains `*`. */
export function parseVary(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const text = Array.isArray(value) ? value.join(',') : value;
  const names: string[] = [];
  for (const part of text.split(',')) {
    const name = part.trim().toLowerCase();
    if (name === '') continue;
    if (name === '*') return ['*'];
    if (!names.includes(name)) names.push(name);
  }
  return names.sort();
}

/** A request's value of one field, normalised (lines joined, whitespace collapsed). */
function fieldValue(headers: HttpHeaders, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value.join(', ') : value;
  return text
    .replace(/\s*,\s*/g, ', ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The key a variant is stored under: the primary key plus the request's varied values. */
export function variantKey(key: string, names: readonly string[], headers: HttpHeaders): string {
  if (names.length === 0) return key;
  const parts = names.map((name) => {
    const value = fieldValue(headers, name);
    return value === undefined ? `${name}` : `${name}=${JSON.stringify(value)}`;
  });
  return `${key}\nvary:${parts.join('\n')}`;
}
