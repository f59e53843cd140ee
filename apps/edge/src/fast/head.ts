/**
 * The fast lane's request-head parser (see fast/lane.ts). It accepts only the plainest cache
 * hit a player sends: `GET` or `HEAD`, HTTP/1.1, an origin-form target, a head that is whole
 * in one chunk with nothing after it, and only header fields that cannot change a plain 200
 * hit. Everything else is refused with a reason, and the connection goes to node:http, which
 * then sees the very same bytes. Refusing is always safe; accepting must never be wrong.
 */

export type SlowReason =
  | 'too-large'
  | 'incomplete'
  | 'trailing-bytes'
  | 'request-line'
  | 'header-line'
  | 'header-value'
  | 'header-name'
  | 'duplicate-header'
  | 'connection'
  | 'no-host';

/** Field values by lower-case name, one value each: what node:http's `req.headers` holds. */
export type FastHeaders = Readonly<Record<string, string>>;

export type HeadResult =
  | {
      readonly ok: true;
      readonly method: 'GET' | 'HEAD';
      readonly target: string;
      readonly headers: FastHeaders;
    }
  | { readonly ok: false; readonly reason: SlowReason };

/** Longest head the fast lane reads (node:http allows 16 KiB; longer heads go there). */
export const MAX_HEAD_BYTES = 8192;

/**
 * Fields that cannot turn a plain 200 hit into anything else: the edge's hit path never reads
 * them (its CORS headers are fixed, `*`, whatever the `Origin`; nothing is compressed per
 * `Accept-Encoding`), and where a stored response's Vary names one, the lane's lookup selects
 * the variant with the same code and the same value as the slow path (edge.ts, lookupFor).
 * That covers what browsers send with hls.js's fetch/XHR (client hints, Fetch Metadata,
 * Priority, DNT/GPC) and Safari's native player (X-Playback-Session-Id).
 *
 * Not here, so refused: request Cache-Control and Pragma (the edge's request-directive policy,
 * cache/request-directives.ts), conditionals and Range, Cookie and Authorization, Content-Length
 * and Transfer-Encoding (a body), Expect, Upgrade, Keep-Alive, TE, and every unknown field.
 */
const HARMLESS = new Set([
  'host',
  'user-agent',
  'accept',
  'accept-encoding',
  'accept-language',
  'connection',
  'origin',
  'referer',
  'sec-fetch-dest',
  'sec-fetch-mode',
  'sec-fetch-site',
  'sec-fetch-user',
  'sec-ch-ua',
  'sec-ch-ua-mobile',
  'sec-ch-ua-platform',
  'priority',
  'dnt',
  'sec-gpc',
  'x-playback-session-id',
]);

/** `GET /target HTTP/1.1`: single spaces, visible ASCII target starting with `/`, no `#`. */
const REQUEST_LINE = /^(GET|HEAD) (\/[\x21\x22\x24-\x7e]*) HTTP\/1\.1$/;
/** `name:value`: a token name, no whitespace before the colon. */
const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):(.*)$/;
/** A field value: visible ASCII, spaces and tabs only (no obs-text, no control bytes). */
const FIELD_VALUE = /^[\t\x20-\x7e]*$/;

export function parseHead(chunk: Buffer, maxBytes = MAX_HEAD_BYTES): HeadResult {
  if (chunk.length > maxBytes) return { ok: false, reason: 'too-large' };
  const text = chunk.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return { ok: false, reason: 'incomplete' };
  // A body, or a second (pipelined) request: node:http orders those.
  if (end + 4 !== text.length) return { ok: false, reason: 'trailing-bytes' };
  const lines = text.slice(0, end).split('\r\n');
  const request = REQUEST_LINE.exec(lines[0]!);
  if (request === null) return { ok: false, reason: 'request-line' };
  const headers: Record<string, string> = {};
  for (let i = 1; i < lines.length; i++) {
    const field = HEADER_LINE.exec(lines[i]!);
    // Also refuses obs-fold (a line starting with whitespace) and bare CR or LF.
    if (field === null) return { ok: false, reason: 'header-line' };
    const raw = field[2]!;
    if (!FIELD_VALUE.test(raw)) return { ok: false, reason: 'header-value' };
    const name = field[1]!.toLowerCase();
    if (!HARMLESS.has(name)) return { ok: false, reason: 'header-name' };
    if (headers[name] !== undefined) return { ok: false, reason: 'duplicate-header' };
    headers[name] = raw.replace(/^[\t ]+|[\t ]+$/g, '');
  }
  const connection = headers.connection;
  if (connection !== undefined && connection.toLowerCase() !== 'keep-alive') {
    return { ok: false, reason: 'connection' };
  }
  if (headers.host === undefined || headers.host === '') return { ok: false, reason: 'no-host' };
  return { ok: true, method: request[1] as 'GET' | 'HEAD', target: request[2]!, headers };
}
