import { percentile } from './util/percentile.js';

/**
 * Plain counters, bumped on the request path with no allocation; /stats reads them directly
 * and /metrics copies them into Prometheus series at scrape time.
 */
export class EdgeCounters {
  requests = 0;
  /** Served from cache without contacting the origin (memory or disk). */
  hits = 0;
  /** Hits that came from the disk tier. */
  diskHits = 0;
  /** Served while the origin was asked (a coalesced fill, or a pass-through). */
  misses = 0;
  /** Expired objects served (stale-while-revalidate or stale-if-error). */
  stale = 0;
  /** Expired objects the origin confirmed with a 304 (counted as hits too). */
  revalidated = 0;
  /** Requests sent straight through without the cache (credentials, uncacheable objects). */
  passes = 0;
  notModified = 0;
  /** Requests refused by the edge: bad target, method, ... */
  rejected = 0;
  /** 502/504 the edge answered because the origin failed and nothing stale could be used. */
  gatewayErrors = 0;
  /** Requests that joined an origin fetch another request had started. */
  coalescedWaits = 0;
  bytesServed = 0;
  originRequests = 0;
  originRetries = 0;
  originFailures = 0;
  /** Origin bodies that broke off or were shorter than Content-Length (never cached). */
  originBodyErrors = 0;
  originBytes = 0;
  /** Live segments fetched ahead of any request (HLS prefetch). */
  prefetches = 0;
  /** Client connections that went away before their response ended. */
  clientAborts = 0;
}

/** A ring of the most recent origin latencies, for percentiles in /stats. */
export class LatencyWindow {
  private readonly samples: Float64Array;
  private count = 0;
  private next = 0;

  constructor(size = 1024) {
    this.samples = new Float64Array(size);
  }

  add(valueMs: number): void {
    this.samples[this.next] = valueMs;
    this.next = (this.next + 1) % this.samples.length;
    this.count = Math.min(this.count + 1, this.samples.length);
  }

  summary(): { samples: number; p50Ms: number | null; p95Ms: number | null; maxMs: number | null } {
    if (this.count === 0) return { samples: 0, p50Ms: null, p95Ms: null, maxMs: null };
    const values = Array.from(this.samples.subarray(0, this.count));
    const round = (value: number) => Math.round(value * 100) / 100;
    return {
      samples: this.count,
      p50Ms: round(percentile(values, 50)),
      p95Ms: round(percentile(values, 95)),
      maxMs: round(Math.max(...values)),
    };
  }
}
