import type { HttpHeaders } from '../http/headers.js';
import type { Validators } from '../http/conditional.js';
import { originHeaderPairs, type HeaderList } from '../http/headers.js';
import { storagePolicy, type PolicyLimits, type StoragePolicy } from './policy.js';

/** What is stored with a body: enough to rebuild the object after a restart (disk tier). */
export interface ObjectMeta {
  readonly key: string;
  /** Origin response headers to pass on, without length, hop-by-hop and CORS headers. */
  readonly headers: HeaderList;
  readonly storedAtMs: number;
  readonly initialAgeSec: number;
  readonly freshnessSec: number;
  readonly staleWhileRevalidateSec: number;
  readonly staleIfErrorSec: number;
  readonly sizeBytes: number;
  /** The response's status; absent (older disk files): 200. */
  readonly statusCode?: number;
}

export type StoredPolicy = Extract<StoragePolicy, { storable: true }>;

/** Header names a 304 the edge answers carries (RFC 9110 §15.4.5). */
const NOT_MODIFIED_HEADERS = new Set([
  'cache-control',
  'content-location',
  'date',
  'etag',
  'expires',
  'last-modified',
  'vary',
]);

/** Rough per-object bookkeeping cost, so a cache of tiny playlists is bounded too. */
const OVERHEAD_BYTES = 512;

/**
 * One cached 200 response: body plus precomputed header lists, so a hit is one writeHead with
 * a ready array and one write of a Buffer.
 */
export class CachedObject implements Validators {
  readonly etag: string | undefined;
  readonly lastModified: string | undefined;
  readonly freshUntilMs: number;
  readonly staleWhileRevalidateUntilMs: number;
  readonly staleIfErrorUntilMs: number;
  readonly statusCode: number;
  /** What this object counts against a cache bound. */
  readonly chargeBytes: number;
  /** 200 headers; slots `cacheSlot` and `ageSlot` are written per response. */
  private readonly fullHeaders: HeaderList;
  private readonly cacheSlot: number;
  private readonly ageSlot: number;

  constructor(
    readonly meta: ObjectMeta,
    readonly body: Buffer,
    private readonly edgeHeaders: HeaderList,
  ) {
    this.statusCode = meta.statusCode ?? 200;
    this.etag = findHeader(meta.headers, 'etag');
    this.lastModified = findHeader(meta.headers, 'last-modified');
    this.freshUntilMs = meta.storedAtMs + (meta.freshnessSec - meta.initialAgeSec) * 1000;
    this.staleWhileRevalidateUntilMs = this.freshUntilMs + meta.staleWhileRevalidateSec * 1000;
    this.staleIfErrorUntilMs = this.freshUntilMs + meta.staleIfErrorSec * 1000;
    this.fullHeaders = [
      ...meta.headers,
      'content-length',
      String(body.length),
      'accept-ranges',
      'bytes',
      ...edgeHeaders,
      'x-cache',
      'HIT',
      'age',
      '0',
    ];
    this.cacheSlot = this.fullHeaders.length - 3;
    this.ageSlot = this.fullHeaders.length - 1;
    let headerBytes = 0;
    for (const text of this.fullHeaders) headerBytes += text.length;
    this.chargeBytes = body.length + headerBytes + meta.key.length + OVERHEAD_BYTES;
  }

  static fromResponse(options: {
    key: string;
    headers: HeaderList;
    body: Buffer;
    policy: StoredPolicy;
    receivedAtMs: number;
    edgeHeaders: HeaderList;
    statusCode?: number;
  }): CachedObject {
    const { policy } = options;
    return new CachedObject(
      {
        key: options.key,
        headers: options.headers,
        storedAtMs: options.receivedAtMs,
        initialAgeSec: policy.initialAgeSec,
        freshnessSec: policy.freshnessSec,
        staleWhileRevalidateSec: policy.staleWhileRevalidateSec,
        staleIfErrorSec: policy.staleIfErrorSec,
        sizeBytes: options.body.length,
        ...(options.statusCode === undefined || options.statusCode === 200
          ? {}
          : { statusCode: options.statusCode }),
      },
      options.body,
      options.edgeHeaders,
    );
  }

  get sizeBytes(): number {
    return this.body.length;
  }

  isFresh(nowMs: number): boolean {
    return nowMs < this.freshUntilMs;
  }

  ageSec(nowMs: number): number {
    return Math.max(0, Math.floor(this.meta.initialAgeSec + (nowMs - this.meta.storedAtMs) / 1000));
  }

  /** The 200 header list for one response. Valid until the next call (shared array). */
  fullResponseHeaders(cacheStatus: string, nowMs: number): HeaderList {
    this.fullHeaders[this.cacheSlot] = cacheStatus;
    this.fullHeaders[this.ageSlot] = String(this.ageSec(nowMs));
    return this.fullHeaders;
  }

  partialResponseHeaders(
    cacheStatus: string,
    nowMs: number,
    start: number,
    end: number,
  ): HeaderList {
    return [
      ...this.meta.headers,
      'content-range',
      `bytes ${start}-${end}/${this.body.length}`,
      'content-length',
      String(end - start + 1),
      'accept-ranges',
      'bytes',
      ...this.edgeHeaders,
      'x-cache',
      cacheStatus,
      'age',
      String(this.ageSec(nowMs)),
    ];
  }

  /**
   * A 304's headers. `full`: every stored end-to-end field, for another worker of this edge
   * revalidating its own copy through the key's owner, so a 304's header update reaches every
   * worker's copy (a client gets only the fields RFC 9110 §15.4.5 lists).
   */
  notModifiedHeaders(cacheStatus: string, nowMs: number, full = false): HeaderList {
    const out: HeaderList = [];
    for (let i = 0; i < this.meta.headers.length; i += 2) {
      if (full || NOT_MODIFIED_HEADERS.has(this.meta.headers[i]!)) {
        out.push(this.meta.headers[i]!, this.meta.headers[i + 1]!);
      }
    }
    out.push(...this.edgeHeaders, 'x-cache', cacheStatus, 'age', String(this.ageSec(nowMs)));
    return out;
  }

  unsatisfiableHeaders(cacheStatus: string): HeaderList {
    return [
      'content-range',
      `bytes */${this.body.length}`,
      'content-length',
      '0',
      ...this.edgeHeaders,
      'x-cache',
      cacheStatus,
    ];
  }

  /**
   * The object after a 304 from the origin: same body, headers updated from the 304, the
   * clock restarted under the policy of the merged headers. Undefined when those headers no
   * longer allow storing it.
   */
  refreshed(
    notModifiedHeaders: HttpHeaders,
    limits: PolicyLimits,
    receivedAtMs: number,
  ): CachedObject | undefined {
    // Every end-to-end field of the 304 replaces the stored one (RFC 9111 §3.2), except
    // Content-Length and what the edge sets itself.
    const updatePairs = originHeaderPairs(notModifiedHeaders, false);
    const updates = new Map<string, string[]>();
    for (let i = 0; i < updatePairs.length; i += 2) {
      const name = updatePairs[i]!;
      const list = updates.get(name) ?? [];
      list.push(updatePairs[i + 1]!);
      updates.set(name, list);
    }
    const headers: HeaderList = [];
    for (let i = 0; i < this.meta.headers.length; i += 2) {
      const name = this.meta.headers[i]!;
      if (!updates.has(name)) headers.push(name, this.meta.headers[i + 1]!);
    }
    for (const [name, values] of updates) for (const value of values) headers.push(name, value);
    const merged: Record<string, string | string[]> = {};
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      const existing = merged[name];
      merged[name] =
        existing === undefined
          ? headers[i + 1]!
          : [...(Array.isArray(existing) ? existing : [existing]), headers[i + 1]!];
    }
    // The 304's own Age counts, not the stored one.
    if (notModifiedHeaders.age !== undefined) merged.age = notModifiedHeaders.age;
    const policy = storagePolicy(merged, limits, receivedAtMs, { statusCode: this.statusCode });
    if (!policy.storable) return undefined;
    return CachedObject.fromResponse({
      key: this.meta.key,
      headers,
      body: this.body,
      policy,
      receivedAtMs,
      edgeHeaders: this.edgeHeaders,
      statusCode: this.statusCode,
    });
  }
}

export function findHeader(headers: HeaderList, name: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return headers[i + 1];
  return undefined;
}
