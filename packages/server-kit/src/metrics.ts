import { collectDefaultMetrics, Registry } from 'prom-client';

export { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** A Prometheus registry with process metrics, every series labelled with the service name. */
export function createMetricsRegistry(
  service: string,
  labels: Record<string, string> = {},
): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service, ...labels });
  collectDefaultMetrics({ register: registry, prefix: 'coral_' });
  return registry;
}
