import type { Logger } from '@coral-cdn/server-kit';
import { CachedObject, type StoredPolicy } from '../cache/cached-object.js';
import type { ObjectStore } from '../cache/object-store.js';
import { headerValue, parseAge, storagePolicy, type PolicyLimits } from '../cache/policy.js';
import { parseVary, variantKey } from '../cache/vary.js';
import { OriginBodyError, OriginUnavailableError } from '../errors.js';
import type { Validators } from '../http/conditional.js';
import { originHeaderPairs, type HeaderList, type HttpHeaders } from '../http/headers.js';
import type { EdgeCounters } from '../stats.js';
import type { OriginBody, OriginClient } from './origin-client.js';

/** The response a fill streams, as its subscribers see it when the headers arrive. */
export interface StreamHead {
  readonly statusCode: number;
  /** Origin headers to pass on, without Content-Length (set per response). */
  readonly headers: HeaderList;
  readonly contentLength: number | undefined;
  readonly validators: Validators;
  /** Will be cached on success: Range may be served from it, and it is a 200. */
  readonly storable: boolean;
  readonly ageSec: number;
  /** Others than the request that started the fill may be given this response. */
  readonly shareable: boolean;
  /** The Vary field names of the response, and the variant the starting request selects. */
  readonly varyNames: readonly string[];
  readonly variantKey: string;
}

/** Shared by all fills of an edge: what their kept, not yet stored bodies weigh. */
export class InflightBudget {
  heldBytes = 0;
  /** Fills stopped because every client had left and the budget was spent. */
  abandonedStops = 0;
  constructor(readonly maxBytes: number) {}

  get exceeded(): boolean {
    return this.heldBytes > this.maxBytes;
  }
}

/** The request a fill is made for. */
export interface FillRequest {
  /** Request headers sent to the origin. */
  readonly headers: Record<string, string>;
  /** The starting request's own headers, for Vary. */
  readonly varyHeaders: HttpHeaders;
  /** The starting request carried Authorization (forwarded). */
  readonly authorized: boolean;
  /** HLS media: only a 200 is ever stored. */
  readonly media: boolean;
  /** A blocking LL-HLS request: held by the origin, longer timeout, never answered stale. */
  readonly blocking?: boolean;
  /** Origin timeout for this request, when not ORIGIN_TIMEOUT_MS. */
  readonly timeoutMs?: number;
}

export type FillOutcome =
  /** Serve this stored object: the origin confirmed it (304, 'HIT') or failed ('STALE'). */
  | {
      readonly kind: 'cached';
      readonly object: CachedObject;
      readonly cacheStatus: 'HIT' | 'STALE';
    }
  /** Bytes follow through onData, then onEnd or onAbort. */
  | { readonly kind: 'stream'; readonly head: StreamHead }
  /** The origin failed and nothing stale may be served. */
  | { readonly kind: 'error'; readonly status: 502 | 504; readonly message: string };

export interface FillSubscriber {
  onOutcome(outcome: FillOutcome): void;
  /** `offset` is where the chunk starts in the body. Return false when backed up. */
  onData(chunk: Buffer, offset: number): boolean;
  /** The body is complete; `object` is what was cached (undefined when not storable). */
  onEnd(object: CachedObject | undefined): void;
  /** The body broke off (origin error, truncation, shutdown). */
  onAbort(error: Error): void;
  /** The body outgrew MAX_OBJECT_BYTES: it will not be cached. */
  onRetentionLost?(): void;
}

export interface FillContext {
  /** Where the fill for a key is fetched from: the origin, or the worker that owns the key. */
  readonly originFor: (key: string) => OriginClient;
  readonly store: ObjectStore;
  readonly limits: PolicyLimits;
  readonly maxObjectBytes: number;
  readonly edgeHeaders: HeaderList;
  readonly counters: EdgeCounters;
  readonly logger: Logger;
  readonly now: () => number;
  /** Body bytes held by every fill still downloading, against INFLIGHT_MAX_BYTES. */
  readonly inflight: InflightBudget;
  /** Called once when the fill stops accepting subscribers. */
  readonly release: (fill: Fill) => void;
  /** A new body was stored (not called for a 304 refresh). */
  readonly onStored?: (object: CachedObject) => void;
}

/**
 * One origin fetch shared by every concurrent request for a key (request coalescing). Bytes
 * are passed to each subscriber as they arrive and kept, so a subscriber that joins late is
 * replayed what it missed; the kept chunks become the cached body when the response is
 * complete and exactly as long as announced. A response that will not be cached is not kept:
 * the fill leaves the registry when its headers arrive, paces the origin to its slowest
 * subscriber, and is aborted when its last subscriber leaves.
 */
export class Fill {
  private readonly subscribers = new Set<FillSubscriber>();
  private readonly blocked = new Set<FillSubscriber>();
  private readonly controller = new AbortController();
  private outcome: FillOutcome | undefined;
  private head: StreamHead | undefined;
  private body: OriginBody | undefined;
  private chunks: Buffer[] = [];
  private receivedBytes = 0;
  private retaining = true;
  private settled = false;
  private released = false;
  private receivedAtMs = 0;
  private policy: StoredPolicy | undefined;
  private storeKey: string;
  private varyNames: readonly string[] = [];

  constructor(
    readonly key: string,
    /** The expired object this fill revalidates, if any. */
    private readonly stale: CachedObject | undefined,
    private readonly context: FillContext,
    private readonly request: FillRequest,
  ) {
    this.storeKey = key;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  start(): void {
    this.run().catch((error: unknown) => {
      this.context.logger.error('fill failed unexpectedly', { key: this.key, err: error });
      this.fail(error instanceof Error ? error : new Error(String(error)));
    });
  }

  attach(subscriber: FillSubscriber): void {
    this.subscribers.add(subscriber);
    if (this.outcome === undefined) return;
    subscriber.onOutcome(this.outcome);
    if (this.outcome.kind !== 'stream' || !this.subscribers.has(subscriber)) return;
    let offset = 0;
    for (const chunk of this.chunks) {
      if (!this.subscribers.has(subscriber)) return;
      subscriber.onData(chunk, offset);
      offset += chunk.length;
    }
  }

  detach(subscriber: FillSubscriber): void {
    if (!this.subscribers.delete(subscriber)) return;
    this.unblock(subscriber);
    if (this.subscribers.size === 0 && this.retaining && !this.settled) this.stopIfAbandoned();
    // Nobody wants a response that will not be cached: stop downloading it.
    if (this.subscribers.size === 0 && !this.retaining && !this.settled) {
      this.controller.abort(new Error('no subscribers left'));
    }
  }

  /** A subscriber's client drained its buffer. */
  unblock(subscriber: FillSubscriber): void {
    if (this.blocked.delete(subscriber) && this.blocked.size === 0) this.body?.resume();
  }

  /** Stop at once (shutdown): subscribers see an abort. */
  abort(reason: Error): void {
    this.controller.abort(reason);
    if (this.body === undefined && !this.settled) this.fail(reason);
  }

  private async run(): Promise<void> {
    const { context, stale } = this;
    const headers = { ...this.request.headers };
    if (stale?.etag !== undefined) headers['if-none-match'] = stale.etag;
    if (stale?.lastModified !== undefined) headers['if-modified-since'] = stale.lastModified;
    context.counters.originRequests++;
    let response;
    try {
      response = await context
        .originFor(this.key)
        .get(this.key, headers, this.controller.signal, 'GET', this.request.timeoutMs);
    } catch (error) {
      if (this.settled) return;
      if (this.controller.signal.aborted) {
        this.fail(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      context.counters.originFailures++;
      const unavailable =
        error instanceof OriginUnavailableError
          ? error
          : new OriginUnavailableError('unreachable', String(error), { cause: error });
      context.logger.warn('origin failed', { key: this.key, err: unavailable });
      if (
        stale !== undefined &&
        this.request.blocking !== true &&
        context.now() < stale.staleIfErrorUntilMs
      ) {
        this.finish({ kind: 'cached', object: stale, cacheStatus: 'STALE' });
      } else {
        this.finish({ kind: 'error', status: unavailable.status, message: unavailable.message });
      }
      return;
    }
    const { statusCode, body } = response;
    if (this.settled) {
      body.destroy(); // aborted (shutdown) while the headers were on their way
      return;
    }
    this.receivedAtMs = context.now();
    if (statusCode === 304 && stale !== undefined) {
      body.dump().catch(() => undefined);
      const refreshed = stale.refreshed(response.headers, context.limits, this.receivedAtMs);
      if (refreshed === undefined) context.store.delete(stale.meta.key);
      // The body did not change, so the disk copy stays; its clock restarts on the next 304.
      else context.store.set(refreshed, { writeDisk: false });
      context.counters.revalidated++;
      this.finish({ kind: 'cached', object: refreshed ?? stale, cacheStatus: 'HIT' });
      return;
    }
    if (
      statusCode >= 500 &&
      stale !== undefined &&
      this.request.blocking !== true &&
      this.receivedAtMs < stale.staleIfErrorUntilMs
    ) {
      body.dump().catch(() => undefined);
      context.counters.originFailures++;
      this.finish({ kind: 'cached', object: stale, cacheStatus: 'STALE' });
      return;
    }
    this.stream(response.statusCode, response.headers, body);
  }

  private stream(statusCode: number, headers: HttpHeaders, body: OriginBody): void {
    const { context } = this;
    const policy = storagePolicy(headers, context.limits, this.receivedAtMs, {
      statusCode,
      authorized: this.request.authorized,
    });
    const lengthText = headerValue(headers['content-length']);
    const contentLength =
      lengthText !== undefined && /^\d+$/.test(lengthText) ? Number(lengthText) : undefined;
    const storable =
      policy.storable &&
      (statusCode === 200 || !this.request.media) &&
      (contentLength === undefined || contentLength <= context.maxObjectBytes);
    if (policy.storable) this.policy = policy;
    // A new storable response replaces the expired copy when complete (which stays usable
    // should the body break off); anything else below 500 (no-store now, ...) supersedes it.
    if (this.stale !== undefined && statusCode < 500 && !storable) {
      context.store.delete(this.stale.meta.key);
    }
    const varyNames = parseVary(headers.vary);
    this.storeKey = variantKey(this.key, varyNames, this.request.varyHeaders);
    this.varyNames = varyNames;
    this.retaining = storable;
    if (!storable) this.release();
    const pairs = originHeaderPairs(headers, false);
    this.head = {
      statusCode,
      headers: pairs,
      contentLength,
      validators: {
        etag: headerValue(headers.etag),
        lastModified: headerValue(headers['last-modified']),
      },
      storable,
      ageSec: parseAge(headers.age),
      shareable:
        headers['set-cookie'] === undefined &&
        !/private/i.test(headerValue(headers['cache-control']) ?? '') &&
        (storable || !this.request.authorized),
      varyNames,
      variantKey: this.storeKey,
    };
    this.body = body;
    body.on('data', (chunk: Buffer) => this.onChunk(chunk));
    body.on('end', () => this.onBodyEnd());
    body.on('error', (error: Error) => this.fail(error));
    this.publish({ kind: 'stream', head: this.head });
    if (this.subscribers.size === 0 && !this.retaining) {
      this.controller.abort(new Error('no subscribers left'));
    }
  }

  private onChunk(chunk: Buffer): void {
    if (this.settled) return;
    const offset = this.receivedBytes;
    this.receivedBytes += chunk.length;
    this.context.counters.originBytes += chunk.length;
    if (this.retaining) {
      if (this.receivedBytes > this.context.maxObjectBytes) this.stopRetaining();
      else {
        this.chunks.push(chunk);
        this.context.inflight.heldBytes += chunk.length;
        if (this.context.inflight.exceeded) {
          // Over the in-flight budget: a fill nobody waits for stops; one that still has
          // clients goes on for them without keeping its body (it will not be cached).
          if (this.subscribers.size === 0) {
            this.stopIfAbandoned();
            return;
          }
          this.stopRetaining();
        }
      }
    }
    for (const subscriber of this.subscribers) {
      if (!subscriber.onData(chunk, offset)) this.blocked.add(subscriber);
    }
    // Kept bodies are bounded by MAX_OBJECT_BYTES and shared by every client, so only a body
    // that is not kept is paced to its slowest client.
    if (!this.retaining && this.blocked.size > 0) this.body?.pause();
  }

  /** Every client left: keep filling only while the in-flight budget allows. */
  private stopIfAbandoned(): void {
    if (!this.context.inflight.exceeded) return;
    this.context.inflight.abandonedStops++;
    this.context.logger.info('abandoned fill stopped: in-flight memory budget spent', {
      key: this.key,
      receivedBytes: this.receivedBytes,
    });
    this.controller.abort(new Error('abandoned fill over the in-flight budget'));
    this.fail(new Error('abandoned fill over the in-flight budget'));
  }

  /** Give back what the kept chunks weigh against the in-flight budget. */
  private dropChunks(): void {
    for (const chunk of this.chunks) this.context.inflight.heldBytes -= chunk.length;
    this.chunks = [];
  }

  private stopRetaining(): void {
    this.retaining = false;
    this.dropChunks();
    this.release();
    for (const subscriber of this.subscribers) subscriber.onRetentionLost?.();
  }

  private onBodyEnd(): void {
    if (this.settled) return;
    const expected = this.head?.contentLength;
    if (expected !== undefined && this.receivedBytes !== expected) {
      this.fail(
        new OriginBodyError(
          `origin sent ${this.receivedBytes} of ${expected} bytes for ${this.key}`,
        ),
      );
      return;
    }
    let object: CachedObject | undefined;
    if (this.retaining && this.policy !== undefined) {
      object = CachedObject.fromResponse({
        key: this.storeKey,
        headers: this.head!.headers,
        body: Buffer.concat(this.chunks, this.receivedBytes),
        policy: this.policy,
        receivedAtMs: this.receivedAtMs,
        edgeHeaders: this.context.edgeHeaders,
        statusCode: this.head!.statusCode,
      });
      this.context.store.set(object, {
        writeDisk: true,
        primaryKey: this.key,
        varyNames: this.varyNames,
      });
    }
    this.settled = true;
    this.dropChunks();
    this.release();
    const subscribers = [...this.subscribers];
    this.subscribers.clear();
    for (const subscriber of subscribers) subscriber.onEnd(object);
    if (object !== undefined) this.context.onStored?.(object);
  }

  private fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.dropChunks();
    this.release();
    if (this.body !== undefined) {
      if (!(error instanceof OriginBodyError) && !this.controller.signal.aborted) {
        error = new OriginBodyError(`origin body for ${this.key} broke off: ${error.message}`, {
          cause: error,
        });
      }
      if (error instanceof OriginBodyError) {
        this.context.counters.originBodyErrors++;
        this.context.logger.warn('origin body incomplete; not cached', {
          key: this.key,
          receivedBytes: this.receivedBytes,
          err: error,
        });
      }
      this.body.destroy();
    }
    const subscribers = [...this.subscribers];
    this.subscribers.clear();
    if (this.outcome === undefined) {
      const outcome: FillOutcome = { kind: 'error', status: 502, message: error.message };
      this.outcome = outcome;
      for (const subscriber of subscribers) subscriber.onOutcome(outcome);
    } else {
      for (const subscriber of subscribers) subscriber.onAbort(error);
    }
  }

  private finish(outcome: FillOutcome): void {
    this.settled = true;
    this.release();
    this.publish(outcome);
    this.subscribers.clear();
  }

  private publish(outcome: FillOutcome): void {
    this.outcome = outcome;
    for (const subscriber of [...this.subscribers]) {
      if (this.subscribers.has(subscriber)) subscriber.onOutcome(outcome);
    }
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.context.release(this);
  }
}
