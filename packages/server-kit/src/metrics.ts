import { collectDefaultMetrics, Registry } from 'prom-client';

export { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** A Prometheus registry with process metrics, every series labelled with the service name. */
export function createMetricsRegistry(
  service: string,
  labels: Record<string, string> = {},
): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service, ...labels });
  // The event-loop-lag histogram samples every `eventLoopMonitoringPrecision` ms; prom-client's
  // 10 ms default keeps an idle service at ~1% of a core (measured on the origin).
  collectDefaultMetrics({
    register: registry,
    prefix: 'coral_',
    eventLoopMonitoringPrecision: 100,
  });
  return registry;
}
