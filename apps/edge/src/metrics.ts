import { Counter, Gauge, Histogram, type Registry } from '@coral-cdn/server-kit';
import type { ObjectStore } from './cache/object-store.js';
import type { EdgeCounters } from './stats.js';

type CounterName = keyof EdgeCounters;

/** Counters mirrored into Prometheus at scrape time: [metric name, help, source]. */
const COUNTERS: ReadonlyArray<[string, string, CounterName]> = [
  [
    'coral_edge_requests_total',
    'Content requests (everything but the edge’s own endpoints)',
    'requests',
  ],
  ['coral_edge_disk_hits_total', 'Hits served from the disk tier', 'diskHits'],
  [
    'coral_edge_revalidations_total',
    'Expired objects the origin confirmed with 304',
    'revalidated',
  ],
  ['coral_edge_not_modified_total', '304 answers to clients', 'notModified'],
  ['coral_edge_pass_total', 'Requests passed through without the cache', 'passes'],
  ['coral_edge_rejected_total', 'Requests refused (bad target, method)', 'rejected'],
  [
    'coral_edge_gateway_errors_total',
    '502/504 answered because the origin failed',
    'gatewayErrors',
  ],
  [
    'coral_edge_coalesced_waits_total',
    'Requests that joined an in-flight origin fetch',
    'coalescedWaits',
  ],
  ['coral_edge_served_bytes_total', 'Body bytes sent to clients', 'bytesServed'],
  [
    'coral_edge_origin_requests_total',
    'Origin fetches started (retries excluded)',
    'originRequests',
  ],
  [
    'coral_edge_origin_retries_total',
    'Extra origin attempts after errors, timeouts, 5xx',
    'originRetries',
  ],
  [
    'coral_edge_origin_failures_total',
    'Origin fetches that failed after every retry',
    'originFailures',
  ],
  [
    'coral_edge_origin_body_errors_total',
    'Origin bodies that broke off or were short',
    'originBodyErrors',
  ],
  ['coral_edge_origin_bytes_total', 'Body bytes received from the origin', 'originBytes'],
  [
    'coral_edge_client_aborts_total',
    'Clients that left before their response ended',
    'clientAborts',
  ],
];

export interface EdgeMetrics {
  readonly originLatency: Histogram;
}

export function registerEdgeMetrics(
  registry: Registry,
  sources: {
    counters: EdgeCounters;
    store: ObjectStore;
    inflightFills: () => number;
  },
): EdgeMetrics {
  const { counters, store } = sources;
  for (const [name, help, field] of COUNTERS) {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(counters[field]);
      },
    });
  }
  new Counter({
    name: 'coral_edge_responses_total',
    help: 'Content responses by X-Cache value',
    labelNames: ['cache'],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ cache: 'HIT' }, counters.hits);
      this.inc({ cache: 'MISS' }, counters.misses);
      this.inc({ cache: 'STALE' }, counters.stale);
    },
  });
  const tierGauge = (
    name: string,
    help: string,
    pick: (tier: 'memory' | 'disk') => number | undefined,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ['tier'],
      registers: [registry],
      collect() {
        this.reset();
        for (const tier of ['memory', 'disk'] as const) {
          const value = pick(tier);
          if (value !== undefined) this.set({ tier }, value);
        }
      },
    });
  tierGauge('coral_edge_cache_bytes', 'Bytes held by a cache tier', (tier) =>
    tier === 'memory' ? store.stats().memory.sizeBytes : store.stats().disk?.sizeBytes,
  );
  tierGauge('coral_edge_cache_max_bytes', 'Bound of a cache tier', (tier) =>
    tier === 'memory' ? store.stats().memory.maxBytes : store.stats().disk?.maxBytes,
  );
  tierGauge('coral_edge_cache_entries', 'Objects held by a cache tier', (tier) =>
    tier === 'memory' ? store.stats().memory.entries : store.stats().disk?.entries,
  );
  new Gauge({
    name: 'coral_edge_inflight_fills',
    help: 'Origin fetches in progress that requests can join',
    registers: [registry],
    collect() {
      this.set(sources.inflightFills());
    },
  });
  const originLatency = new Histogram({
    name: 'coral_edge_origin_latency_seconds',
    help: 'Time from an origin attempt to its response headers (or failure)',
    labelNames: ['outcome'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return { originLatency };
}
