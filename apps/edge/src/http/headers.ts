/** Header maps as Node and undici give them (lower-case names). */
export type HttpHeaders = Record<string, string | string[] | undefined>;

/** Flat [name, value, name, value, ...]: what `res.writeHead` takes without re-processing. */
export type HeaderList = string[];

export const ALLOWED_METHODS = 'GET, HEAD, OPTIONS';

/** Response headers a cross-origin player may read besides the CORS-safelisted ones. */
export const EXPOSED_HEADERS =
  'Age, Accept-Ranges, Content-Length, Content-Range, Date, ETag, X-Cache, X-Coral-Edge';

/** Headers every edge response carries: CORS for players on other origins, and the region. */
export function edgeHeaders(region: string): HeaderList {
  return [
    'access-control-allow-origin',
    '*',
    'access-control-expose-headers',
    EXPOSED_HEADERS,
    'timing-allow-origin',
    '*',
    'x-coral-edge',
    region,
  ];
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) and those the edge sets itself. */
const DROPPED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'age',
  'accept-ranges',
  'x-cache',
  'x-coral-edge',
  'timing-allow-origin',
  // Addressed to the edge only (the edge obeys it; CDN-Cache-Control goes on to later CDNs).
  'surrogate-control',
]);

/**
 * The origin's response headers to pass on. `keepLength` keeps Content-Length/Content-Range
 * (a response forwarded as is); otherwise the edge computes them per response.
 */
export function originHeaderPairs(headers: HttpHeaders, keepLength: boolean): HeaderList {
  const connectionTokens = new Set(
    String(headers.connection ?? '')
      .toLowerCase()
      .split(',')
      .map((token) => token.trim()),
  );
  const out: HeaderList = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (DROPPED.has(name) || connectionTokens.has(name) || name.startsWith('access-control-')) {
      continue;
    }
    if (!keepLength && (name === 'content-length' || name === 'content-range')) continue;
    if (Array.isArray(value)) for (const item of value) out.push(name, item);
    else out.push(name, value);
  }
  return out;
}

/** Request headers never forwarded to the origin (hop-by-hop, or ours to handle). */
const REQUEST_DROPPED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'expect',
  'content-length',
]);

/** Request headers a fill does not forward: the edge makes its own conditionals and ranges. */
const FILL_DROPPED = new Set([
  ...REQUEST_DROPPED,
  'range',
  'if-range',
  'if-none-match',
  'if-modified-since',
  'if-match',
  'if-unmodified-since',
]);
/** Dropped too for immutable media, whose bytes are the same for everyone. */
const MEDIA_DROPPED = new Set([
  ...FILL_DROPPED,
  'cookie',
  'authorization',
  'cache-control',
  'pragma',
]);

/**
 * The end-to-end request headers of the request that starts a fill, as the origin gets them.
 * For HLS media the credentials and request directives are left out (`media`).
 */
export function fillRequestHeaders(
  headers: HttpHeaders,
  via: string,
  media: boolean,
): Record<string, string> {
  const dropped = media ? MEDIA_DROPPED : FILL_DROPPED;
  const connectionTokens = String(headers.connection ?? '').toLowerCase();
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || dropped.has(name)) continue;
    if (connectionTokens !== '' && connectionTokens.split(',').some((t) => t.trim() === name)) {
      continue;
    }
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  out.via = out.via ? `${out.via}, ${via}` : via;
  return out;
}

/** A client's request headers for a pass-through request (not coalesced, not cached). */
export function forwardedRequestHeaders(
  headers: HttpHeaders,
  clientAddress: string | undefined,
  via: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || REQUEST_DROPPED.has(name)) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  if (clientAddress !== undefined) {
    out['x-forwarded-for'] = out['x-forwarded-for']
      ? `${out['x-forwarded-for']}, ${clientAddress}`
      : clientAddress;
  }
  out.via = out.via ? `${out.via}, ${via}` : via;
  return out;
}
