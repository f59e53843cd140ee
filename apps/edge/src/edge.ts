import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  addressUrl,
  closeGracefully,
  createMetricsRegistry,
  listen,
  type Logger,
  type Registry,
} from '@coral-cdn/server-kit';
import type { CachedObject } from './cache/cached-object.js';
import { DiskTier } from './cache/disk-tier.js';
import { ObjectStore, type ObjectStoreStats } from './cache/object-store.js';
import type { PolicyLimits } from './cache/policy.js';
import type { EdgeConfig } from './config.js';
import {
  ALLOWED_METHODS,
  edgeHeaders,
  fillRequestHeaders,
  type HeaderList,
} from './http/headers.js';
import { liveSegmentsToPrefetch } from './hls/prefetch.js';
import { parseRequestTarget } from './http/request-target.js';
import { ownerOf } from './cluster/shard.js';
import { registerEdgeMetrics } from './metrics.js';
import { Fill, InflightBudget, type FillContext, type FillRequest } from './origin/fill.js';
import {
  requestDirectives,
  satisfies,
  type RequestDirectives,
} from './cache/request-directives.js';
import { LRUCache } from 'lru-cache';
import { isBlockingPlaylistKey, partKeys } from './hls/ll-hls.js';
import { filterQuery, mediaKind, parseAllowList, type MediaKind } from './hls/media.js';
import { OriginClient } from './origin/origin-client.js';
import { MissResponder, type MissContext } from './serve/miss-responder.js';
import { passThrough, type PassThroughContext } from './serve/pass-through.js';
import { PeerRequest, respondWithObject, sendError } from './serve/respond.js';
import { EdgeCounters, LatencyWindow } from './stats.js';
import { FastLane } from './fast/lane.js';
import type { FastHeaders } from './fast/head.js';

export interface EdgeOptions {
  readonly logger: Logger;
  /** This edge is worker `index` of `count` processes sharing the port (see cluster/). */
  readonly worker?: { readonly index: number; readonly count: number };
  /** Wall clock in ms (tests move it to expire objects without sleeping). */
  readonly now?: () => number;
}

export interface EdgeStatsSnapshot {
  readonly region: string;
  /** The worker that answered (EDGE_WORKERS > 1); /stats and /metrics are per worker. */
  readonly worker?: number;
  readonly uptimeSec: number;
  readonly requests: EdgeCounters;
  readonly hitRatio: number | null;
  readonly originLatency: ReturnType<LatencyWindow['summary']>;
  readonly inflightFills: number;
  /** Body bytes held by fills still downloading, and its bound. */
  readonly inflightBytes: number;
  readonly inflightMaxBytes: number;
  /** Fills stopped because every client had left and the in-flight bound was reached. */
  readonly abandonedFillsStopped: number;
  readonly cache: ObjectStoreStats;
}

export interface Edge {
  readonly server: Server;
  readonly registry: Registry;
  /** Listen on config PORT/HOST (or the given port); resolves with the base URL. */
  listen(port?: number): Promise<string>;
  stats(): EdgeStatsSnapshot;
  /** Workers: listen on a loopback port of this worker's own, for the other workers. */
  listenInternal(): Promise<string>;
  /** Workers: every worker's loopback URL, by index; misses go through the key's owner. */
  setPeers(urls: readonly string[]): void;
  /** Stop accepting, let in-flight requests finish, then release everything. Idempotent. */
  close(): Promise<void>;
}

const OWN_ENDPOINTS = new Set(['/healthz', '/metrics', '/stats']);

/** The edge's own endpoint a request target names (its path), or undefined. */
function ownEndpoint(url: string): string | undefined {
  const first = url.charCodeAt(1);
  // Only /healthz, /metrics and /stats start with h, m or s; skip the lookup otherwise.
  if (first !== 0x68 && first !== 0x6d && first !== 0x73) return undefined;
  const questionMark = url.indexOf('?');
  const pathname = questionMark < 0 ? url : url.slice(0, questionMark);
  return OWN_ENDPOINTS.has(pathname) ? pathname : undefined;
}
const NO_DIRECTIVES = requestDirectives({});

/** The origin's control API: never cached or forwarded; only playback info is viewer-facing. */
export function isControlApi(pathname: string): boolean {
  return (
    (pathname === '/api' || pathname.startsWith('/api/')) && !pathname.startsWith('/api/playback/')
  );
}
/** node:http's keep-alive timeout, which the fast lane keeps too. */
const KEEP_ALIVE_TIMEOUT_MS = 30_000;
const TOKEN_LIST = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+(?:\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$/;
const DEFAULT_ALLOWED_HEADERS = 'Range, If-None-Match, If-Modified-Since, If-Range';

export async function createEdge(config: EdgeConfig, options: EdgeOptions): Promise<Edge> {
  const { logger } = options;
  const now = options.now ?? Date.now;
  const region = config.EDGE_REGION;
  const startedAtMs = Date.now();
  const counters = new EdgeCounters();
  const latency = new LatencyWindow();
  const shared: HeaderList = edgeHeaders(region);
  const via = `1.1 coral-edge-${region}`;
  const registry = createMetricsRegistry('edge', { region });
  const limits: PolicyLimits = {
    defaultTtlSec: config.DEFAULT_TTL_SEC,
    staleWhileRevalidateSec: config.STALE_WHILE_REVALIDATE_SEC,
    staleIfErrorSec: config.STALE_IF_ERROR_SEC,
  };

  const disk =
    config.CACHE_DISK_DIR === undefined
      ? undefined
      : await DiskTier.open({
          dir: config.CACHE_DISK_DIR,
          maxBytes: config.CACHE_DISK_BYTES,
          maxObjectBytes: config.MAX_OBJECT_BYTES,
          edgeHeaders: shared,
          logger,
        });
  const store = new ObjectStore({
    memoryBytes: config.CACHE_MEMORY_BYTES,
    maxObjectBytes: config.MAX_OBJECT_BYTES,
    disk,
  });
  const fills = new Map<string, Fill>();
  const inflight = new InflightBudget(config.INFLIGHT_MAX_BYTES);
  const metrics = registerEdgeMetrics(registry, {
    counters,
    store,
    inflightFills: () => fills.size,
  });
  const origin = new OriginClient({
    url: config.ORIGIN_URL,
    connections: config.ORIGIN_CONNECTIONS,
    timeoutMs: config.ORIGIN_TIMEOUT_MS,
    longestTimeoutMs: config.BLOCKING_TIMEOUT_MS,
    bodyTimeoutMs: config.ORIGIN_BODY_TIMEOUT_MS,
    retries: config.ORIGIN_RETRIES,
    retryDelayMs: config.ORIGIN_RETRY_DELAY_MS,
    onAttempt: (attempt) => {
      latency.add(attempt.latencyMs);
      metrics.originLatency.observe(
        { outcome: attempt.outcome === 'status' ? String(attempt.statusCode) : attempt.outcome },
        attempt.latencyMs / 1000,
      );
      if (attempt.retrying) counters.originRetries++;
    },
  });

  const worker = options.worker;
  /** Loopback clients to the other workers, by index (undefined for this one). */
  let peers: Array<OriginClient | undefined> = [];
  function originFor(key: string): OriginClient {
    if (worker === undefined || peers.length !== worker.count) return origin;
    return peers[ownerOf(key, worker.count)] ?? origin;
  }

  const fillContext: FillContext = {
    originFor,
    store,
    limits,
    maxObjectBytes: config.MAX_OBJECT_BYTES,
    edgeHeaders: shared,
    inflight,
    counters,
    logger,
    now,
    release: (fill) => {
      if (fills.get(fill.key) === fill) fills.delete(fill.key);
    },
    onStored: (object) => {
      if (!object.meta.key.includes('.m3u8')) return;
      if (config.PREFETCH_SEGMENTS > 0) prefetch(object);
      followParts(object);
    },
  };

  /** LL-HLS parts seen in playlists: requests for them may block at the origin. */
  const partKeysSeen = new LRUCache<string, true>({ max: 10_000 });

  /** Note a playlist's parts, and ask for its hinted part at once (see hls/ll-hls.ts). */
  function followParts(playlist: CachedObject): void {
    const key = playlist.meta.key;
    const questionMark = key.indexOf('?');
    const pathname = questionMark < 0 ? key : key.slice(0, questionMark);
    if (!pathname.endsWith('.m3u8')) return;
    const { parts, hints } = partKeys(
      pathname,
      playlist.body.toString('utf8'),
      config.MAX_URL_BYTES,
    );
    for (const part of parts) partKeysSeen.set(part, true);
    for (const hint of hints) {
      partKeysSeen.set(hint, true);
      if (fills.has(hint) || store.has(hint)) continue;
      counters.prefetches++;
      fillFor(hint, undefined, HINT_REQUEST);
    }
  }

  /** Warm the newest segments a live playlist just announced (see hls/prefetch.ts). */
  function prefetch(playlist: CachedObject): void {
    const key = playlist.meta.key;
    const questionMark = key.indexOf('?');
    const pathname = questionMark < 0 ? key : key.slice(0, questionMark);
    if (!pathname.endsWith('.m3u8')) return;
    try {
      const keys = liveSegmentsToPrefetch(
        pathname,
        playlist.body.toString('utf8'),
        config.PREFETCH_SEGMENTS,
        config.MAX_URL_BYTES,
      );
      for (const segmentKey of keys) {
        if (fills.has(segmentKey) || store.has(segmentKey)) continue;
        counters.prefetches++;
        fillFor(segmentKey, undefined, PREFETCH_REQUEST);
      }
    } catch (error) {
      logger.warn('prefetch failed', { key, err: error });
    }
  }
  /** What a prefetch asks the origin with: no client started it. */
  const PREFETCH_REQUEST: FillRequest = {
    headers: { accept: '*/*', 'user-agent': 'coral-edge/0.1', via, 'x-coral-edge': region },
    varyHeaders: {},
    authorized: false,
    media: true,
  };
  const HINT_REQUEST: FillRequest = {
    ...PREFETCH_REQUEST,
    blocking: true,
    timeoutMs: config.BLOCKING_TIMEOUT_MS,
  };
  const segmentQuery = parseAllowList(config.SEGMENT_QUERY_ALLOW);
  const playlistQuery = parseAllowList(config.PLAYLIST_QUERY_ALLOW);

  const passContext: PassThroughContext = { origin, edgeHeaders: shared, via, counters, logger };
  const missContext: MissContext = {
    edgeHeaders: shared,
    logger,
    counters,
    now,
    restart: (req, res) => {
      const target = parseRequestTarget(req.url ?? '/', config.MAX_URL_BYTES);
      if (target.ok) serveContent(req, res, target.key, target.pathname, true);
      else sendError(res, target.status, 'bad_request', target.reason, shared);
    },
    passThrough: (req, res) => {
      const target = parseRequestTarget(req.url ?? '/', config.MAX_URL_BYTES);
      if (target.ok) passThrough(req, res, target.key, passContext);
      else sendError(res, target.status, 'bad_request', target.reason, shared);
    },
  };

  /** The fill for `key`, started if none runs. `stale` is what it revalidates. */
  function fillFor(key: string, stale: CachedObject | undefined, request: FillRequest): Fill {
    let fill = fills.get(key);
    if (fill === undefined) {
      fill = new Fill(key, stale, fillContext, request);
      fills.set(key, fill);
      fill.start();
    } else counters.coalescedWaits++;
    return fill;
  }

  /** A fill of one request's own: never joined by others (credentials, a private variant). */
  function privateFill(key: string, stale: CachedObject | undefined, request: FillRequest): Fill {
    const fill = new Fill(
      key,
      stale,
      { ...fillContext, originFor: () => origin, release: () => undefined },
      request,
    );
    fill.start();
    return fill;
  }

  function joinFill(
    req: IncomingMessage,
    res: ServerResponse,
    lookup: Lookup,
    stale: CachedObject | undefined,
  ): void {
    if (lookup.directives.onlyIfCached) {
      sendError(res, 504, 'not_cached', 'only-if-cached and nothing usable is stored', shared);
      return;
    }
    const request = fillRequest(req, lookup.kind !== 'other', lookup.blocking);
    let fill: Fill;
    let initiator: boolean;
    if (lookup.private) {
      fill = privateFill(lookup.key, stale, request);
      initiator = true;
    } else {
      initiator = !fills.has(lookup.key);
      fill = fillFor(lookup.key, stale, request);
    }
    fill.attach(new MissResponder(req, res, fill, missContext, initiator));
  }

  function fillRequest(req: IncomingMessage, media: boolean, blocking = false): FillRequest {
    const headers = fillRequestHeaders(req.headers, via, media);
    headers['x-coral-edge'] = region;
    return {
      headers,
      varyHeaders: req.headers,
      authorized: !media && req.headers.authorization !== undefined,
      media,
      blocking,
      ...(blocking ? { timeoutMs: config.BLOCKING_TIMEOUT_MS } : {}),
    };
  }

  /** Whether the request's own directives accept this stored object. */
  function usableFor(lookup: Lookup, object: CachedObject, nowMs: number): boolean {
    return (
      lookup.kind !== 'other' ||
      satisfies(
        lookup.directives,
        object.ageSec(nowMs),
        Math.floor((object.freshUntilMs - nowMs) / 1000),
      )
    );
  }

  function serveStored(
    req: IncomingMessage,
    res: ServerResponse,
    lookup: Lookup,
    object: CachedObject,
    nowMs: number,
  ): void {
    const usable = usableFor(lookup, object, nowMs);
    if (object.isFresh(nowMs) && usable) {
      counters.hits++;
      respondWithObject(req, res, object, 'HIT', nowMs, counters);
    } else if (
      usable &&
      nowMs < object.staleWhileRevalidateUntilMs &&
      !lookup.private &&
      // A blocking request asks for something newer than any stored copy: never stale.
      !lookup.blocking
    ) {
      counters.stale++;
      if (!fills.has(lookup.key))
        fillFor(lookup.key, object, fillRequest(req, lookup.kind !== 'other'));
      respondWithObject(req, res, object, 'STALE', nowMs, counters);
    } else joinFill(req, res, lookup, object);
  }

  interface Lookup {
    /** The URL key: what fills are coalesced on. */
    readonly key: string;
    /** The key of the stored variant this request selects. */
    readonly storeKey: string;
    readonly kind: MediaKind;
    readonly directives: RequestDirectives;
    /** The request gets a fill of its own. */
    readonly private: boolean;
    /** An LL-HLS request the origin may hold (blocking playlist, part, hinted part). */
    readonly blocking: boolean;
  }

  function lookupFor(
    targetKey: string,
    pathname: string,
    headers: IncomingMessage['headers'],
    forcePrivate: boolean,
  ): Lookup {
    const kind = mediaKind(pathname);
    const key =
      kind === 'other'
        ? targetKey
        : filterQuery(targetKey, kind === 'segment' ? segmentQuery : playlistQuery);
    return {
      key,
      storeKey: store.lookupKey(key, headers),
      kind,
      // HLS media: request directives are ignored (see cache/request-directives.ts).
      directives: kind === 'other' ? requestDirectives(headers) : NO_DIRECTIVES,
      // Credentials on media are dropped; elsewhere they make the request's fill its own.
      blocking:
        (kind === 'playlist' && isBlockingPlaylistKey(key)) ||
        (kind === 'segment' && partKeysSeen.has(key)),
      private:
        forcePrivate ||
        (kind === 'other' && (headers.authorization !== undefined || headers.cookie !== undefined)),
    };
  }

  function serveContent(
    req: IncomingMessage,
    res: ServerResponse,
    targetKey: string,
    pathname: string,
    forcePrivate = false,
  ): void {
    counters.requests++;
    const lookup = lookupFor(targetKey, pathname, req.headers, forcePrivate);
    const key = lookup.key;
    const nowMs = now();
    const object = store.memoryGet(lookup.storeKey);
    if (object !== undefined) {
      serveStored(req, res, lookup, object, nowMs);
      return;
    }
    if (!store.hasDisk || fills.has(key)) {
      joinFill(req, res, lookup, undefined);
      return;
    }
    store.diskGet(lookup.storeKey).then(
      (stored) =>
        guarded(res, () => {
          if (res.destroyed) return;
          if (stored === undefined) joinFill(req, res, lookup, undefined);
          else {
            if (stored.isFresh(now())) counters.diskHits++;
            serveStored(req, res, lookup, stored, now());
          }
        }),
      (error: unknown) => {
        logger.error('disk lookup failed', { key, err: error });
        guarded(res, () => joinFill(req, res, lookup, undefined));
      },
    );
  }

  /** Run a request step outside the request's own call stack: a throw answers 500. */
  function guarded(res: ServerResponse, step: () => void): void {
    try {
      step();
    } catch (error) {
      logger.error('request failed', { err: error });
      sendError(res, 500, 'internal_error', 'internal error', shared);
    }
  }

  let closing = false;

  function serveOwn(res: ServerResponse, pathname: string, head: boolean): void {
    if (pathname === '/healthz') {
      const body = JSON.stringify({ status: closing ? 'stopping' : 'ok', region });
      res.writeHead(closing ? 503 : 200, [
        'content-type',
        'application/json',
        'cache-control',
        'no-store',
        ...shared,
      ]);
      res.end(head ? undefined : body);
    } else if (pathname === '/stats') {
      res.writeHead(200, [
        'content-type',
        'application/json',
        'cache-control',
        'no-store',
        ...shared,
      ]);
      res.end(head ? undefined : JSON.stringify(stats()));
    } else {
      registry.metrics().then(
        (text) =>
          guarded(res, () => {
            res.writeHead(200, [
              'content-type',
              registry.contentType,
              'cache-control',
              'no-store',
              ...shared,
            ]);
            res.end(head ? undefined : text);
          }),
        (error: unknown) => {
          logger.error('metrics failed', { err: error });
          sendError(res, 500, 'metrics_failed', 'could not collect metrics', shared);
        },
      );
    }
  }

  function preflight(req: IncomingMessage, res: ServerResponse): void {
    const requested = req.headers['access-control-request-headers'];
    res.writeHead(204, [
      'allow',
      ALLOWED_METHODS,
      'access-control-allow-methods',
      ALLOWED_METHODS,
      'access-control-allow-headers',
      requested !== undefined && TOKEN_LIST.test(requested) ? requested : DEFAULT_ALLOWED_HEADERS,
      'access-control-max-age',
      '86400',
      ...shared,
    ]);
    res.end();
  }

  /**
   * The fast lane's question (see fast/lane.ts): the memory object onRequest would answer
   * this GET or HEAD with as a fresh 200 HIT, or undefined. It follows onRequest's routing
   * and serveStored's choice; respondWithObject answers such a request with a plain 200
   * because the lane's requests carry no Range or validators (fast/head.ts).
   */
  function plainHit(target: string, headers: FastHeaders): CachedObject | undefined {
    if (ownEndpoint(target) !== undefined) return undefined;
    const parsed = parseRequestTarget(target, config.MAX_URL_BYTES);
    if (!parsed.ok || isControlApi(parsed.pathname)) return undefined;
    const lookup = lookupFor(parsed.key, parsed.pathname, headers, false);
    const object = store.memoryGet(lookup.storeKey);
    if (object === undefined || object.statusCode !== 200) return undefined;
    const nowMs = now();
    return object.isFresh(nowMs) && usableFor(lookup, object, nowMs) ? object : undefined;
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const method = req.method;
    const url = req.url ?? '/';
    if (method === 'GET' || method === 'HEAD') {
      const own = ownEndpoint(url);
      if (own !== undefined) {
        serveOwn(res, own, method === 'HEAD');
        return;
      }
      const target = parseRequestTarget(url, config.MAX_URL_BYTES);
      if (!target.ok) {
        counters.rejected++;
        sendError(res, target.status, 'bad_request', target.reason, shared);
        return;
      }
      if (isControlApi(target.pathname)) {
        counters.rejected++;
        sendError(res, 404, 'not_found', 'the control API is not served by edges', shared);
        return;
      }
      serveContent(req, res, target.key, target.pathname);
    } else if (method === 'OPTIONS') preflight(req, res);
    else {
      counters.rejected++;
      sendError(res, 405, 'method_not_allowed', `${method} is not allowed`, shared, [
        'allow',
        ALLOWED_METHODS,
      ]);
    }
  }

  const server = createServer({ keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS }, (req, res) =>
    guarded(res, () => onRequest(req, res)),
  );
  const fastLane = config.EDGE_FAST_LANE
    ? new FastLane(server, {
        hit: (_method, target, headers) => plainHit(target, headers),
        counters,
        keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS,
        logger,
        now,
      })
    : undefined;

  function stats(): EdgeStatsSnapshot {
    const served = counters.hits + counters.misses + counters.stale;
    return {
      region,
      ...(worker === undefined ? {} : { worker: worker.index }),
      uptimeSec: Math.round((Date.now() - startedAtMs) / 1000),
      requests: { ...counters },
      hitRatio: served === 0 ? null : Math.round((counters.hits / served) * 1000) / 1000,
      originLatency: latency.summary(),
      inflightFills: fills.size,
      inflightBytes: inflight.heldBytes,
      inflightMaxBytes: inflight.maxBytes,
      abandonedFillsStopped: inflight.abandonedStops,
      cache: store.stats(),
    };
  }

  let internal: Server | undefined;
  let closed: Promise<void> | undefined;
  return {
    server,
    registry,
    async listen(port = config.PORT): Promise<string> {
      const address: AddressInfo = await listen(server, port, config.HOST);
      const url = addressUrl(address);
      logger.info('edge listening', { url, region, origin: config.ORIGIN_URL });
      return url;
    },
    stats,
    async listenInternal(): Promise<string> {
      internal = createServer(
        { keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS, IncomingMessage: PeerRequest },
        (req, res) => guarded(res, () => onRequest(req, res)),
      );
      const server = internal;
      // exclusive: a port of this worker's own, not one shared through the cluster primary.
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => resolve());
      });
      return addressUrl(server.address() as AddressInfo);
    },
    setPeers(urls: readonly string[]): void {
      if (worker === undefined) return;
      for (const peer of peers) void peer?.destroy();
      // The owner already retries the origin and holds blocking requests: one long attempt.
      const peerTimeoutMs =
        Math.max(config.ORIGIN_TIMEOUT_MS, config.BLOCKING_TIMEOUT_MS) *
          (config.ORIGIN_RETRIES + 1) +
        1000;
      peers = urls.map((url, index) =>
        index === worker.index
          ? undefined
          : new OriginClient({
              url,
              connections: config.ORIGIN_CONNECTIONS,
              timeoutMs: peerTimeoutMs,
              bodyTimeoutMs: config.ORIGIN_BODY_TIMEOUT_MS,
              retries: 0,
              retryDelayMs: 0,
            }),
      );
      logger.info('edge workers connected', { workers: urls.length, index: worker.index });
    },
    close(): Promise<void> {
      closed ??= (async () => {
        closing = true;
        const graceMs = Math.floor(config.SHUTDOWN_TIMEOUT_MS * 0.8);
        fastLane?.close(graceMs);
        await Promise.all([
          closeGracefully(server, graceMs),
          internal === undefined ? Promise.resolve() : closeGracefully(internal, graceMs),
        ]);
        await Promise.all(peers.map((peer) => peer?.destroy() ?? Promise.resolve()));
        for (const fill of [...fills.values()]) fill.abort(new Error('edge shutting down'));
        fills.clear();
        await origin.destroy();
        await store.close();
      })();
      return closed;
    },
  };
}
