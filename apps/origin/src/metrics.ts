import {
  Counter,
  createMetricsRegistry,
  Gauge,
  Histogram,
  type Registry,
} from '@coral-cdn/server-kit';

/** The origin's Prometheus metrics (besides the process metrics every service has). */
export interface OriginMetrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly ingestBytes: Counter;
  readonly jobsFinished: Counter<'outcome'>;
  readonly packagingSeconds: Histogram;
  readonly liveSegments: Counter<'channel'>;
  /** Late-bound sources for the state gauges. */
  jobStates: () => Record<string, number>;
  liveStates: () => Record<string, number>;
}

export function createOriginMetrics(): OriginMetrics {
  const registry = createMetricsRegistry('origin');
  const metrics: OriginMetrics = {
    registry,
    httpRequests: new Counter({
      name: 'coral_origin_http_requests_total',
      help: 'HTTP requests answered, by method, route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    ingestBytes: new Counter({
      name: 'coral_origin_ingest_bytes_total',
      help: 'Bytes of uploaded source media received',
      registers: [registry],
    }),
    jobsFinished: new Counter({
      name: 'coral_origin_jobs_finished_total',
      help: 'Packaging jobs finished, by outcome (ready, failed, cancelled)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    packagingSeconds: new Histogram({
      name: 'coral_origin_packaging_seconds',
      help: 'Wall time of successful packaging jobs (ffmpeg and publishing), seconds',
      buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800],
      registers: [registry],
    }),
    liveSegments: new Counter({
      name: 'coral_origin_live_segments_published_total',
      help: 'Live segments hashed, signed and published, by channel',
      labelNames: ['channel'],
      registers: [registry],
    }),
    jobStates: () => ({}),
    liveStates: () => ({}),
  };
  new Gauge({
    name: 'coral_origin_jobs',
    help: 'Videos by status (queued, probing, packaging, ready, failed, cancelled)',
    labelNames: ['status'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [status, count] of Object.entries(metrics.jobStates()))
        this.set({ status }, count);
    },
  });
  new Gauge({
    name: 'coral_origin_live_channels',
    help: 'Live channels by status (starting, running, stopped, failed)',
    labelNames: ['status'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [status, count] of Object.entries(metrics.liveStates()))
        this.set({ status }, count);
    },
  });
  return metrics;
}
