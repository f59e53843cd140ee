import { IncomingMessage, type ServerResponse } from 'node:http';
import { headerValue } from '../cache/policy.js';
import type { CachedObject } from '../cache/cached-object.js';
import { notModified, rangeApplies } from '../http/conditional.js';
import type { HeaderList } from '../http/headers.js';
import { parseRange } from '../http/range.js';
import type { EdgeCounters } from '../stats.js';

export type CacheStatus = 'HIT' | 'MISS' | 'STALE';

/**
 * A request on a worker's internal loopback port: another worker of this edge filling or
 * revalidating its own copy through the key's owner (see cluster/).
 */
export class PeerRequest extends IncomingMessage {}

/**
 * Answer from a stored object: 200, 206, 304 or 416, HEAD without body. The common case (no
 * Range, no validators) is one writeHead with the object's ready header list and one end()
 * with its Buffer.
 */
export function respondWithObject(
  req: IncomingMessage,
  res: ServerResponse,
  object: CachedObject,
  cacheStatus: CacheStatus,
  nowMs: number,
  counters: EdgeCounters,
): void {
  const headers = req.headers;
  const head = req.method === 'HEAD';
  if (object.statusCode !== 200) {
    // Stored non-200 answers (404, 301, ... with explicit freshness) are replayed as they came.
    res.writeHead(object.statusCode, object.fullResponseHeaders(cacheStatus, nowMs));
    if (head || object.statusCode === 204) res.end();
    else {
      res.end(object.body);
      counters.bytesServed += object.body.length;
    }
    return;
  }
  if (
    headers.range === undefined &&
    headers['if-none-match'] === undefined &&
    headers['if-modified-since'] === undefined
  ) {
    res.writeHead(200, object.fullResponseHeaders(cacheStatus, nowMs));
    if (head) res.end();
    else {
      res.end(object.body);
      counters.bytesServed += object.body.length;
    }
    return;
  }
  if (notModified(headers['if-none-match'], headers['if-modified-since'], object)) {
    counters.notModified++;
    // A peer worker merges this 304 into its copy: give it every stored field, so its
    // headers match the owner's after the owner merged an origin 304.
    res.writeHead(304, object.notModifiedHeaders(cacheStatus, nowMs, req instanceof PeerRequest));
    res.end();
    return;
  }
  const ifRange = headerValue(headers['if-range']);
  const range = rangeApplies(ifRange, object)
    ? parseRange(headers.range, object.sizeBytes)
    : ({ kind: 'none' } as const);
  if (range.kind === 'unsatisfiable') {
    res.writeHead(416, object.unsatisfiableHeaders(cacheStatus));
    res.end();
    return;
  }
  if (range.kind === 'range') {
    res.writeHead(206, object.partialResponseHeaders(cacheStatus, nowMs, range.start, range.end));
    if (head) res.end();
    else {
      res.end(object.body.subarray(range.start, range.end + 1));
      counters.bytesServed += range.end - range.start + 1;
    }
    return;
  }
  res.writeHead(200, object.fullResponseHeaders(cacheStatus, nowMs));
  if (head) res.end();
  else {
    res.end(object.body);
    counters.bytesServed += object.body.length;
  }
}

/** An answer the edge makes itself (4xx, 502, 504): JSON, never cached by anyone. */
export function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  edgeHeaders: HeaderList,
  extraHeaders: HeaderList = [],
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: code, message });
  res.writeHead(status, [
    'content-type',
    'application/json; charset=utf-8',
    'content-length',
    String(Buffer.byteLength(body)),
    'cache-control',
    'no-store',
    ...edgeHeaders,
    ...extraHeaders,
  ]);
  res.end(body);
}
