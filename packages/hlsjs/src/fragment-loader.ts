import {
  HttpError,
  isAborted,
  type Cancelable,
  type PartRequest,
  type SegmentRequest,
  type SegmentResult,
  type TimerId,
} from '@coral-cdn/p2p-engine';
import type {
  FragmentLoaderConstructor,
  FragmentLoaderContext,
  HlsConfig,
  Loader,
  LoaderCallbacks,
  LoaderConfiguration,
  LoaderContext,
  LoaderResponse,
  LoaderStats,
} from 'hls.js';
import { applyTransferTiming, createLoaderStats } from './loader-stats.js';
import { retryDelayMs, shouldRetryLoad } from './retry.js';
import { responseSizeBytes, type SegmentRouter } from './router.js';

/**
 * The `fLoader` class for `new Hls({ fLoader })`, bound to one router. A media fragment the
 * engine can serve (a whole numbered segment of a main rendition whose playlist the engine
 * knows, P2P on) is loaded through `engine.loadSegment`, except before the first frame, when
 * the engine leaves it to hls.js's own loader and adopts the bytes. An LL-HLS part of such a
 * rendition is loaded through `engine.loadPart` (peers or the CDN, checked against its signed
 * entry). Everything else (init segments, byte ranges, alternate audio, P2P off) goes to
 * hls.js's own loader (`config.loader`) untouched.
 */
export function createFragmentLoaderClass(router: SegmentRouter): FragmentLoaderConstructor {
  return class CoralFragmentLoader implements Loader<FragmentLoaderContext> {
    context: FragmentLoaderContext | null = null;
    /** One object shared with the default loader: hls.js keeps a reference to it (frag.stats). */
    stats: LoaderStats;
    private readonly fallback: Loader<LoaderContext>;
    private delegating = false;
    private config: LoaderConfiguration | null = null;
    private callbacks: LoaderCallbacks<FragmentLoaderContext> | null = null;
    private request: SegmentRequest | null = null;
    private partRequest: PartRequest | null = null;
    private current: Cancelable<SegmentResult> | null = null;
    private timeoutTimer: TimerId | null = null;
    private retryTimer: TimerId | null = null;
    /** Bumped on every attempt and abort: late answers of an old attempt are ignored. */
    private attempt = 0;

    constructor(hlsConfig: HlsConfig) {
      this.fallback = new hlsConfig.loader(hlsConfig);
      this.stats = this.fallback.stats;
    }

    load(
      context: FragmentLoaderContext,
      config: LoaderConfiguration,
      callbacks: LoaderCallbacks<FragmentLoaderContext>,
    ): void {
      this.context = context;
      this.config = config;
      this.callbacks = callbacks;
      this.request = null;
      const partRequest = context.part ? (router.routePart?.(context) ?? null) : null;
      this.partRequest = partRequest;
      if (partRequest) {
        this.stats.loading.start = router.clock.now();
        this.startAttempt();
        return;
      }
      const request = router.route(context);
      if (!request || router.leavesToPlayer(request)) {
        this.delegate(context, config, callbacks, request);
        return;
      }
      this.request = request;
      this.stats.loading.start = router.clock.now();
      this.startAttempt();
    }

    abort(): void {
      if (this.delegating) {
        // The default loader reports onAbort through the callbacks it was given.
        this.fallback.abort();
        return;
      }
      const wasLoading = this.abortInternal();
      if (wasLoading && this.context) this.callbacks?.onAbort?.(this.stats, this.context, null);
    }

    destroy(): void {
      this.callbacks = null;
      this.abortInternal();
      this.fallback.destroy();
      this.context = null;
      this.config = null;
    }

    getCacheAge(): number | null {
      return this.delegating ? (this.fallback.getCacheAge?.() ?? null) : null;
    }

    getResponseHeader(name: string): string | null {
      return this.delegating ? (this.fallback.getResponseHeader?.(name) ?? null) : null;
    }

    /** hls.js's own loader fetches it; the engine adopts the bytes of `adoptFor`'s segment. */
    private delegate(
      context: FragmentLoaderContext,
      config: LoaderConfiguration,
      callbacks: LoaderCallbacks<FragmentLoaderContext>,
      adoptFor: SegmentRequest | null = null,
    ): void {
      this.delegating = true;
      const counted: LoaderCallbacks<FragmentLoaderContext> = {
        ...callbacks,
        onSuccess: (response, stats, ctx, details) => {
          // A copy, taken before hls.js may transfer the buffer to its worker (detaching it).
          if (adoptFor && response.data instanceof ArrayBuffer)
            router.adopt(adoptFor, new Uint8Array(response.data.slice(0)), stats);
          else if (context.part) router.countPart(responseSizeBytes(response.data));
          else router.countPassthrough(responseSizeBytes(response.data));
          router.loaded?.(context, responseSizeBytes(response.data), false);
          callbacks.onSuccess(response, stats, ctx, details);
        },
      };
      this.fallback.load(context, config, counted as unknown as LoaderCallbacks<LoaderContext>);
    }

    /** A part through the engine, its answer in a segment's shape (never from the store). */
    private loadPart(partRequest: PartRequest): Cancelable<SegmentResult> {
      const load = router.loadPart!(partRequest);
      return {
        cancel: load.cancel,
        promise: load.promise.then((result) => ({
          ...result,
          cdnReason: null,
          fromStore: false,
        })),
      };
    }

    private startAttempt(): void {
      const { config, request, partRequest, context } = this;
      if (!config || (!request && !partRequest) || !context) return;
      const attempt = ++this.attempt;
      const clock = router.clock;
      this.stats.aborted = false;
      // hls.js's ABR reads stats.loaded while a fragment loads (its abandon rules): keep it
      // current as bytes arrive from peers or the CDN.
      const load = partRequest
        ? this.loadPart(partRequest)
        : router.load({
            ...request!,
            onProgress: (loadedBytes, totalBytes) => {
              if (attempt !== this.attempt) return;
              const stats = this.stats;
              if (stats.loading.first === 0) stats.loading.first = clock.now();
              stats.loaded = loadedBytes;
              if (totalBytes !== null) stats.total = totalBytes;
            },
          });
      this.current = load;
      const timeoutMs = config.loadPolicy.maxLoadTimeMs;
      if (Number.isFinite(timeoutMs) && timeoutMs > 0) {
        this.timeoutTimer = clock.setTimeout(() => this.onTimeout(attempt), timeoutMs);
      }
      load.promise.then(
        (result) => this.onLoaded(attempt, result),
        (error: unknown) => this.onFailed(attempt, error),
      );
    }

    private onLoaded(attempt: number, result: SegmentResult): void {
      if (attempt !== this.attempt) return;
      this.clearTimers();
      this.current = null;
      const { context, callbacks } = this;
      if (!context || !callbacks) return;
      const stats = this.stats;
      if (this.request) router.delivered?.(this.request, result);
      router.loaded?.(context, result.bytes.byteLength, result.fromStore);
      applyTransferTiming(
        stats,
        result.timing,
        result.bytes.byteLength,
        result.fromStore,
        router.clock.now(),
      );
      // A copy: hls.js may transfer the buffer to its worker (detaching it), and the engine
      // keeps these bytes to verify and to upload to peers.
      const data = result.bytes.slice().buffer;
      callbacks.onProgress?.(stats, context, data, null);
      const response: LoaderResponse = { url: context.url, data, code: 200 };
      // onProgress may have aborted or destroyed this loader.
      if (this.callbacks && attempt === this.attempt)
        this.callbacks.onSuccess(response, stats, context, null);
    }

    private onFailed(attempt: number, error: unknown): void {
      if (attempt !== this.attempt) return;
      this.clearTimers();
      this.current = null;
      const { context, config, callbacks } = this;
      if (!context || !config || !callbacks) return;
      if (isAborted(error)) {
        // Not our abort (that bumps `attempt`): the engine went away. hls.js's own loader
        // can still fetch the fragment; it refuses a stats object that already has a start
        // ("Loader can only be used once"), so hand it a fresh one.
        const { retry } = this.stats;
        Object.assign(this.stats, createLoaderStats(), { retry });
        this.delegate(context, config, callbacks);
        return;
      }
      const code = error instanceof HttpError ? error.status : 0;
      const text = error instanceof Error ? error.message : String(error);
      const response: LoaderResponse = { url: context.url, code, text };
      const retryConfig = config.loadPolicy.errorRetry;
      if (shouldRetryLoad(retryConfig, this.stats.retry, false, response)) {
        this.scheduleRetry(retryDelayMs(retryConfig, this.stats.retry));
        return;
      }
      callbacks.onError({ code, text }, context, null, this.stats);
    }

    private onTimeout(attempt: number): void {
      if (attempt !== this.attempt) return;
      this.timeoutTimer = null;
      const { context, config, callbacks } = this;
      if (!context || !config || !callbacks) return;
      this.abortInternal();
      const retryConfig = config.loadPolicy.timeoutRetry;
      if (shouldRetryLoad(retryConfig, this.stats.retry, true)) {
        this.stats.aborted = false;
        this.scheduleRetry(retryDelayMs(retryConfig, this.stats.retry));
        return;
      }
      callbacks.onTimeout(this.stats, context, null);
    }

    private scheduleRetry(delayMs: number): void {
      this.stats.retry++;
      this.retryTimer = router.clock.setTimeout(() => {
        this.retryTimer = null;
        this.startAttempt();
      }, delayMs);
    }

    /** Cancel whatever runs; true when a load was in flight. */
    private abortInternal(): boolean {
      this.clearTimers();
      this.attempt++;
      const current = this.current;
      this.current = null;
      if (!current) return false;
      this.stats.aborted = true;
      current.cancel();
      return true;
    }

    private clearTimers(): void {
      if (this.timeoutTimer !== null) router.clock.clearTimeout(this.timeoutTimer);
      if (this.retryTimer !== null) router.clock.clearTimeout(this.retryTimer);
      this.timeoutTimer = null;
      this.retryTimer = null;
    }
  };
}
