import { sumMetrics } from './prometheus-text.js';
import { appendReading, windowRatesPerSec, type CounterReading } from './window-rate.js';

/**
 * The analytics behind /dashboard: every tracker node's `/stats` (viewers, swarms, messages/s)
 * and the beacon counters in its `/metrics` (the QoE and offload figures players send), added
 * up across nodes, plus rates over time. Fetched server-side, so the trackers need no CORS and
 * may sit on a private network (compose service names).
 */

const BEACON_METRICS = {
  beacons: 'coral_tracker_beacons_total',
  p2pBytes: 'coral_tracker_beacon_p2p_bytes_total',
  httpBytes: 'coral_tracker_beacon_http_bytes_total',
  uploadedBytes: 'coral_tracker_beacon_uploaded_bytes_total',
  stalls: 'coral_tracker_beacon_stalls_total',
  stallSec: 'coral_tracker_beacon_stall_seconds_total',
  fallbacks: 'coral_tracker_beacon_fallbacks_total',
  integrityFailures: 'coral_tracker_beacon_integrity_failures_total',
  prefetchWastedBytes: 'coral_tracker_beacon_prefetch_wasted_bytes_total',
  startupSecSum: 'coral_tracker_beacon_startup_seconds_sum',
  startups: 'coral_tracker_beacon_startup_seconds_count',
  peerAttempts: 'coral_tracker_beacon_peer_attempts_total',
  peerFailures: 'coral_tracker_beacon_peer_failures_total',
  relayRefused: 'coral_tracker_beacon_relay_refused_total',
} as const;

/** Gauges (not counters): this node's memberships that tried P2P, and the eligible ones. */
const ELIGIBILITY_GAUGES = {
  tried: 'coral_tracker_p2p_tried_viewers',
  eligible: 'coral_tracker_p2p_eligible_viewers',
} as const;

/** Candidate pair types, as the tracker's /stats names them. */
export const PAIR_TYPES = ['host', 'srflx', 'prflx', 'relay', 'unknown'] as const;
export type PairCounts = Record<(typeof PAIR_TYPES)[number], number>;

const zeroPairs = (): PairCounts => ({ host: 0, srflx: 0, prflx: 0, relay: 0, unknown: 0 });

/**
 * P2P connectivity: viewers that tried a peer connection, those with one opened on an allowed
 * path (P2P-eligible), and their share; connections opened by selected candidate pair type.
 */
export interface SwarmConnectivity {
  tried: number;
  eligible: number;
  /** eligible / tried; null while nobody tried. */
  eligibleShare: number | null;
  opened: PairCounts;
}

export interface ConnectivityTotals {
  /** Viewers now connected (summed over nodes) that tried, and the eligible ones. */
  tried: number;
  eligible: number;
  eligibleShare: number | null;
  /** Since the trackers started: set-ups ended, failed, and refused for landing on a relay. */
  attempts: number;
  failures: number;
  relayRefused: number;
}

interface SwarmRow {
  swarmId: string;
  localPeers: number;
  connectivity: { tried: number; eligible: number; opened: PairCounts };
  /** What the swarm's current members took from the CDN and from peers (their beacons). */
  delivery: { httpBytes: number; p2pBytes: number };
}

const shareOf = (eligible: number, tried: number) => (tried > 0 ? eligible / tried : null);

type BeaconCounter = keyof typeof BEACON_METRICS;
type BeaconCounters = Record<BeaconCounter, number>;

const COUNTERS = Object.keys(BEACON_METRICS) as BeaconCounter[];

function zeroCounters(): BeaconCounters {
  return Object.fromEntries(COUNTERS.map((key) => [key, 0])) as BeaconCounters;
}

export interface TrackerNodeStats {
  url: string;
  ok: boolean;
  error: string | null;
  nodeId: string | null;
  store: string | null;
  storeHealthy: boolean | null;
  /** Open WebSockets on this node: one per playing viewer with P2P on. */
  connections: number;
  /** Swarm memberships held by this node. */
  peers: number;
  swarms: number;
  messagesPerSec: number;
}

export interface ViewerTotals {
  beacons: number;
  httpBytes: number;
  p2pBytes: number;
  uploadedBytes: number;
  /** p2p / (p2p + http) over every beacon so far; null before any byte. */
  offloadRatio: number | null;
  stalls: number;
  stallSec: number;
  fallbacks: number;
  integrityFailures: number;
  prefetchWastedBytes: number;
  startups: number;
  startupMeanMs: number | null;
}

export interface RatePoint {
  atMs: number;
  httpBitsPerSec: number;
  p2pBitsPerSec: number;
  uploadBitsPerSec: number;
  peers: number;
}

/** One point of the dashboard's charts: rates over `rateWindowSec`, viewers at `atMs`. */
export interface DashboardPoint {
  atMs: number;
  /** Null until a tracker has been read twice. */
  httpBitsPerSec: number | null;
  p2pBitsPerSec: number | null;
  uploadBitsPerSec: number | null;
  /** Peer share of the bytes delivered in the window; null without bytes or rates. */
  offloadRatio: number | null;
  /** Open tracker WebSockets (viewers with P2P on), summed over nodes. */
  viewers: number;
  /** Swarm memberships. */
  peers: number;
  /** Viewers that tried a peer connection, and those with one opened (P2P-eligible). */
  tried: number;
  eligible: number;
}

export interface RecentRates {
  windowSec: number;
  httpBitsPerSec: number;
  p2pBitsPerSec: number;
  uploadBitsPerSec: number;
  offloadRatio: number | null;
  stallsPerMin: number;
}

export interface DashboardSnapshot {
  atMs: number;
  trackers: TrackerNodeStats[];
  viewers: number;
  peers: number;
  swarmCount: number;
  /** Largest swarms first (at most 20), peers and connectivity summed over nodes. */
  swarms: Array<{
    swarmId: string;
    peers: number;
    connectivity: SwarmConnectivity;
    /** Peer share of the current members' bytes; null before any byte. */
    offloadRatio: number | null;
  }>;
  connectivity: ConnectivityTotals;
  messagesPerSec: number;
  totals: ViewerTotals;
  /** Over the last `RECENT_WINDOW_MS` (null until two samples exist). */
  recent: RecentRates | null;
  /** The window of the chart's rates (a moving window: beacons arrive every 10 s). */
  rateWindowSec: number;
  /** One point per read of the trackers, oldest first, over `historyMs`. */
  history: DashboardPoint[];
}

export interface SwarmStatsOptions {
  trackerUrls: readonly string[];
  /** Per request to a tracker. */
  timeoutMs?: number;
  /** Snapshots younger than this are served again (many dashboards, one poll of the trackers). */
  minIntervalMs?: number;
  historyMs?: number;
  now?: () => number;
}

const RECENT_WINDOW_MS = 30_000;
/** The charts' rate window: one beacon period of every viewer (they send one every 10 s). */
export const RATE_WINDOW_MS = 10_000;

interface NodeFetch {
  stats: TrackerNodeStats;
  counters: BeaconCounters | null;
  eligibility: { tried: number; eligible: number } | null;
  perSwarm: SwarmRow[];
}

interface StatsBody {
  nodeId?: unknown;
  store?: { kind?: unknown; healthy?: unknown };
  connections?: unknown;
  localPeers?: unknown;
  localSwarms?: unknown;
  messagesPerSec?: unknown;
  perSwarm?: unknown;
}

const num = (value: unknown): number =>
  typeof value === 'number' && Number.isFinite(value) ? value : 0;

export class SwarmStatsCollector {
  private readonly trackerUrls: string[];
  private readonly timeoutMs: number;
  private readonly minIntervalMs: number;
  private readonly historyMs: number;
  private readonly now: () => number;
  /** Each tracker URL's counter readings over the longest rate window (restarts: window-rate). */
  private readonly readingsByNode = new Map<string, Array<CounterReading<BeaconCounter>>>();
  private readonly history: DashboardPoint[] = [];
  private latest: DashboardSnapshot | null = null;
  private pending: Promise<DashboardSnapshot> | null = null;

  constructor(options: SwarmStatsOptions) {
    this.trackerUrls = options.trackerUrls.map((url) => url.replace(/\/+$/, ''));
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.minIntervalMs = options.minIntervalMs ?? 1000;
    this.historyMs = options.historyMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
  }

  /** The current figures; at most one round of tracker requests at a time. */
  snapshot(): Promise<DashboardSnapshot> {
    if (this.latest && this.now() - this.latest.atMs < this.minIntervalMs) {
      return Promise.resolve(this.latest);
    }
    this.pending ??= this.collect().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async collect(): Promise<DashboardSnapshot> {
    const nodes = await Promise.all(this.trackerUrls.map((url) => this.fetchNode(url)));
    const atMs = this.now();
    const totals = zeroCounters();
    for (const node of nodes) {
      if (!node.counters) continue;
      for (const key of COUNTERS) totals[key] += node.counters[key];
      this.record(node.stats.url, atMs, node.counters);
    }
    const reachable = nodes.filter((node) => node.stats.ok);
    const viewers = reachable.reduce((sum, node) => sum + node.stats.connections, 0);
    const peers = reachable.reduce((sum, node) => sum + node.stats.peers, 0);
    const bySwarm = new Map<string, SwarmRow>();
    for (const node of reachable) {
      for (const swarm of node.perSwarm) {
        const sum = bySwarm.get(swarm.swarmId) ?? {
          swarmId: swarm.swarmId,
          localPeers: 0,
          connectivity: { tried: 0, eligible: 0, opened: zeroPairs() },
          delivery: { httpBytes: 0, p2pBytes: 0 },
        };
        sum.delivery.httpBytes += swarm.delivery.httpBytes;
        sum.delivery.p2pBytes += swarm.delivery.p2pBytes;
        sum.localPeers += swarm.localPeers;
        sum.connectivity.tried += swarm.connectivity.tried;
        sum.connectivity.eligible += swarm.connectivity.eligible;
        for (const pair of PAIR_TYPES)
          sum.connectivity.opened[pair] += swarm.connectivity.opened[pair];
        bySwarm.set(swarm.swarmId, sum);
      }
    }
    const swarms = [...bySwarm.values()]
      .filter((row) => row.localPeers > 0)
      .map(({ swarmId, localPeers, connectivity, delivery }) => ({
        swarmId,
        peers: localPeers,
        offloadRatio: shareOf(delivery.p2pBytes, delivery.httpBytes + delivery.p2pBytes),
        connectivity: {
          ...connectivity,
          eligibleShare: shareOf(connectivity.eligible, connectivity.tried),
        },
      }))
      .sort((a, b) => b.peers - a.peers || a.swarmId.localeCompare(b.swarmId));
    let tried = 0;
    let eligible = 0;
    for (const node of reachable) {
      tried += node.eligibility?.tried ?? 0;
      eligible += node.eligibility?.eligible ?? 0;
    }

    const chartRates = this.ratesOver(atMs, RATE_WINDOW_MS);
    this.history.push({
      atMs,
      httpBitsPerSec: chartRates ? chartRates.httpBytes * 8 : null,
      p2pBitsPerSec: chartRates ? chartRates.p2pBytes * 8 : null,
      uploadBitsPerSec: chartRates ? chartRates.uploadedBytes * 8 : null,
      offloadRatio:
        chartRates && chartRates.p2pBytes + chartRates.httpBytes > 0
          ? chartRates.p2pBytes / (chartRates.p2pBytes + chartRates.httpBytes)
          : null,
      viewers,
      peers,
      tried,
      eligible,
    });
    while (this.history.length > 0 && atMs - this.history[0]!.atMs > this.historyMs) {
      this.history.shift();
    }
    const delivered = totals.p2pBytes + totals.httpBytes;
    this.latest = {
      atMs,
      trackers: nodes.map((node) => node.stats),
      viewers,
      peers,
      swarmCount: swarms.length,
      swarms: swarms.slice(0, 20),
      connectivity: {
        tried,
        eligible,
        eligibleShare: shareOf(eligible, tried),
        attempts: totals.peerAttempts,
        failures: totals.peerFailures,
        relayRefused: totals.relayRefused,
      },
      messagesPerSec: reachable.reduce((sum, node) => sum + node.stats.messagesPerSec, 0),
      totals: {
        beacons: totals.beacons,
        httpBytes: totals.httpBytes,
        p2pBytes: totals.p2pBytes,
        uploadedBytes: totals.uploadedBytes,
        offloadRatio: delivered > 0 ? totals.p2pBytes / delivered : null,
        stalls: totals.stalls,
        stallSec: totals.stallSec,
        fallbacks: totals.fallbacks,
        integrityFailures: totals.integrityFailures,
        prefetchWastedBytes: totals.prefetchWastedBytes,
        startups: totals.startups,
        startupMeanMs: totals.startups > 0 ? (totals.startupSecSum / totals.startups) * 1000 : null,
      },
      recent: this.recentRates(atMs),
      rateWindowSec: RATE_WINDOW_MS / 1000,
      history: [...this.history],
    };
    return this.latest;
  }

  /** A node's readings over the longest window; none across a gap longer than it (idle). */
  private record(url: string, atMs: number, counters: BeaconCounters): void {
    const windowMs = Math.max(RECENT_WINDOW_MS, RATE_WINDOW_MS);
    const readings = this.readingsByNode.get(url) ?? [];
    this.readingsByNode.set(
      url,
      appendReading(readings, { atMs, values: counters }, windowMs, windowMs),
    );
  }

  /** Per-second rates over the window, summed over nodes; null while no node has two readings. */
  private ratesOver(atMs: number, windowMs: number): BeaconCounters | null {
    let sum: BeaconCounters | null = null;
    for (const readings of this.readingsByNode.values()) {
      const rates = windowRatesPerSec(readings, COUNTERS, atMs, windowMs);
      if (!rates) continue;
      sum ??= zeroCounters();
      for (const key of COUNTERS) sum[key] += rates[key];
    }
    return sum;
  }

  private recentRates(atMs: number): RecentRates | null {
    const rates = this.ratesOver(atMs, RECENT_WINDOW_MS);
    if (!rates) return null;
    const delivered = rates.p2pBytes + rates.httpBytes;
    return {
      windowSec: RECENT_WINDOW_MS / 1000,
      httpBitsPerSec: rates.httpBytes * 8,
      p2pBitsPerSec: rates.p2pBytes * 8,
      uploadBitsPerSec: rates.uploadedBytes * 8,
      offloadRatio: delivered > 0 ? rates.p2pBytes / delivered : null,
      stallsPerMin: rates.stalls * 60,
    };
  }

  private async fetchNode(url: string): Promise<NodeFetch> {
    const failed = (error: string): NodeFetch => ({
      stats: {
        url,
        ok: false,
        error,
        nodeId: null,
        store: null,
        storeHealthy: null,
        connections: 0,
        peers: 0,
        swarms: 0,
        messagesPerSec: 0,
      },
      counters: null,
      eligibility: null,
      perSwarm: [],
    });
    try {
      const signal = AbortSignal.timeout(this.timeoutMs);
      const [statsResponse, metricsResponse] = await Promise.all([
        fetch(`${url}/stats`, { signal }),
        fetch(`${url}/metrics`, { signal }),
      ]);
      if (!statsResponse.ok) return failed(`/stats answered ${statsResponse.status}`);
      if (!metricsResponse.ok) return failed(`/metrics answered ${metricsResponse.status}`);
      const body = (await statsResponse.json()) as StatsBody;
      const sums = sumMetrics(await metricsResponse.text(), [
        ...Object.values(BEACON_METRICS),
        ...Object.values(ELIGIBILITY_GAUGES),
      ]);
      const counters = zeroCounters();
      for (const key of COUNTERS) counters[key] = sums.get(BEACON_METRICS[key]) ?? 0;
      const eligibility = {
        tried: sums.get(ELIGIBILITY_GAUGES.tried) ?? 0,
        eligible: sums.get(ELIGIBILITY_GAUGES.eligible) ?? 0,
      };
      const perSwarm = Array.isArray(body.perSwarm)
        ? (
            body.perSwarm as Array<{
              swarmId?: unknown;
              localPeers?: unknown;
              connectivity?: unknown;
              delivery?: { httpBytes?: unknown; p2pBytes?: unknown };
            }>
          )
            .filter((row) => typeof row.swarmId === 'string')
            .map((row) => ({
              swarmId: row.swarmId as string,
              localPeers: num(row.localPeers),
              connectivity: swarmConnectivity(row.connectivity),
              delivery: {
                httpBytes: num(row.delivery?.httpBytes),
                p2pBytes: num(row.delivery?.p2pBytes),
              },
            }))
        : [];
      return {
        stats: {
          url,
          ok: true,
          error: null,
          nodeId: typeof body.nodeId === 'string' ? body.nodeId : null,
          store: typeof body.store?.kind === 'string' ? body.store.kind : null,
          storeHealthy: typeof body.store?.healthy === 'boolean' ? body.store.healthy : null,
          connections: num(body.connections),
          peers: num(body.localPeers),
          swarms: num(body.localSwarms),
          messagesPerSec: num(body.messagesPerSec),
        },
        counters,
        eligibility,
        perSwarm,
      };
    } catch (error) {
      const reason =
        error instanceof Error && error.name === 'TimeoutError'
          ? `no answer within ${this.timeoutMs} ms`
          : error instanceof Error
            ? error.cause instanceof Error
              ? error.cause.message
              : error.message
            : String(error);
      return failed(reason);
    }
  }
}

/** A tracker's per-swarm connectivity (absent or malformed from older trackers: zeros). */
function swarmConnectivity(value: unknown): SwarmRow['connectivity'] {
  const body = (value ?? {}) as { tried?: unknown; eligible?: unknown; opened?: unknown };
  const opened = (body.opened ?? {}) as Record<string, unknown>;
  const pairs = zeroPairs();
  for (const pair of PAIR_TYPES) pairs[pair] = num(opened[pair]);
  return { tried: num(body.tried), eligible: num(body.eligible), opened: pairs };
}
