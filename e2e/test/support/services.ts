import type { RunningService } from '@coral-cdn/test-support';

/** What the suite reads of the tracker's `GET /stats` (apps/tracker/README.md). */
export interface TrackerStats {
  connections: number;
  peers: number;
  swarms: number;
  perSwarm: Array<{ swarmId: string; peers: number; localPeers: number }>;
}

export async function trackerStats(tracker: RunningService): Promise<TrackerStats> {
  const response = await fetch(`${tracker.url}/stats`);
  if (!response.ok) throw new Error(`tracker /stats: ${response.status}`);
  return (await response.json()) as TrackerStats;
}

/** Members of one swarm (`<streamId>/<rendition>`) as the tracker counts them (0: no swarm). */
export async function swarmPeers(tracker: RunningService, swarmId: string): Promise<number> {
  const stats = await trackerStats(tracker);
  return stats.perSwarm.find((swarm) => swarm.swarmId === swarmId)?.peers ?? 0;
}

/**
 * The sum of a Prometheus counter or gauge over the series whose labels include `labels`
 * (`metric(text, 'coral_tracker_messages_received_total', { type: 'signal' })`).
 */
export function metricValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const series = match[2] ?? '';
    const wanted = Object.entries(labels).every(([key, value]) =>
      series.includes(`${key}="${value}"`),
    );
    if (wanted) sum += Number(match[3]);
  }
  return sum;
}

export async function metrics(service: RunningService): Promise<string> {
  const response = await fetch(`${service.url}/metrics`);
  if (!response.ok) throw new Error(`${service.name} /metrics: ${response.status}`);
  return response.text();
}

/** The edge's `GET /stats` counters (apps/edge/README.md: `requests` holds the counters). */
export interface EdgeCounters {
  requests: number;
  hits: number;
  misses: number;
  stale: number;
  bytesServed: number;
  originRequests: number;
  originFailures: number;
  gatewayErrors: number;
}

export async function edgeCounters(edge: RunningService): Promise<EdgeCounters> {
  const response = await fetch(`${edge.url}/stats`);
  if (!response.ok) throw new Error(`edge /stats: ${response.status}`);
  return ((await response.json()) as { requests: EdgeCounters }).requests;
}
