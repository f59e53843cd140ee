/**
 * Request-target validation and cache-key normalisation. The key is also the path sent to the
 * origin, so what is cached under a key is exactly what the origin returned for it.
 *
 * Rejected (4xx): anything but origin-form (`/path?query`), targets longer than the limit,
 * `.`/`..` segments (raw or percent-encoded), empty segments (`//`), encoded `/`, `\`, NUL or
 * control characters, malformed percent-escapes, and characters outside RFC 3986.
 * Normalised: percent-escapes of unreserved characters are decoded, other escapes upper-cased,
 * empty query parameters dropped, parameters sorted by name (stable, so repeated names keep
 * their order), an empty query removed.
 */

export type TargetResult =
  | { readonly ok: true; readonly key: string; readonly pathname: string }
  | { readonly ok: false; readonly status: 400 | 414; readonly reason: string };

/** Common shape of HLS URLs: no query, no escapes, no dot-leading segments. */
const SIMPLE_PATH = /^(?:\/[A-Za-z0-9_~-][A-Za-z0-9_.~-]*)+$/;
/** pchar minus '%' (RFC 3986): unreserved / sub-delims / ':' / '@'. */
const PATH_CHAR = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]$/;
const QUERY_CHAR = /^[A-Za-z0-9\-._~!$'()*+,;=:@/?]$/;
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
const HEX = /^[0-9A-Fa-f]{2}$/;

function reject(status: 400 | 414, reason: string): TargetResult {
  return { ok: false, status, reason };
}

/**
 * Normalise one path segment or query component. Returns undefined when it holds a character
 * or escape the edge refuses.
 */
function normaliseComponent(text: string, allowed: RegExp): string | undefined {
  if (!text.includes('%')) {
    for (const char of text) if (!allowed.test(char)) return undefined;
    return text;
  }
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char !== '%') {
      if (!allowed.test(char)) return undefined;
      out += char;
      continue;
    }
    const hex = text.slice(i + 1, i + 3);
    if (!HEX.test(hex)) return undefined;
    const code = Number.parseInt(hex, 16);
    // Encoded separators and control bytes are how traversal and smuggling hide.
    if (code < 0x20 || code === 0x7f || code === 0x2f || code === 0x5c) return undefined;
    const decoded = String.fromCharCode(code);
    out += UNRESERVED.test(decoded) ? decoded : `%${hex.toUpperCase()}`;
    i += 2;
  }
  return out;
}

function normalisePath(path: string): string | undefined {
  if (path === '/') return path;
  const segments = path.slice(1).split('/');
  const out: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    // A trailing slash is a real, distinct resource; an empty segment elsewhere is not.
    if (segment === '' && i < segments.length - 1) return undefined;
    const normal = normaliseComponent(segment, PATH_CHAR);
    if (normal === undefined || normal === '.' || normal === '..') return undefined;
    out.push(normal);
  }
  return `/${out.join('/')}`;
}

function normaliseQuery(query: string): string | undefined {
  const params: Array<{ name: string; text: string }> = [];
  for (const part of query.split('&')) {
    if (part === '') continue;
    const text = normaliseComponent(part, QUERY_CHAR);
    if (text === undefined) return undefined;
    const eq = text.indexOf('=');
    params.push({ name: eq < 0 ? text : text.slice(0, eq), text });
  }
  // Array.prototype.sort is stable: repeated names keep their relative order.
  params.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return params.map((param) => param.text).join('&');
}

export function parseRequestTarget(raw: string, maxBytes: number): TargetResult {
  if (raw.length > maxBytes) return reject(414, `request target longer than ${maxBytes} bytes`);
  if (SIMPLE_PATH.test(raw)) return { ok: true, key: raw, pathname: raw };
  if (!raw.startsWith('/')) return reject(400, 'request target must be a path (origin-form)');
  const questionMark = raw.indexOf('?');
  const rawPath = questionMark < 0 ? raw : raw.slice(0, questionMark);
  const path = normalisePath(rawPath);
  if (path === undefined) return reject(400, 'path has an empty, dot or encoded-separator segment');
  if (questionMark < 0) return { ok: true, key: path, pathname: path };
  const query = normaliseQuery(raw.slice(questionMark + 1));
  if (query === undefined) return reject(400, 'query has a malformed escape or character');
  return { ok: true, key: query === '' ? path : `${path}?${query}`, pathname: path };
}
