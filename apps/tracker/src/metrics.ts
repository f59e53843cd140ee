import {
  Counter,
  createMetricsRegistry,
  Gauge,
  Histogram,
  type Registry,
} from '@coral-cdn/server-kit';

/** The tracker's Prometheus series (all prefixed `coral_tracker_`). */
export class TrackerMetrics {
  readonly registry: Registry;
  readonly connections: Gauge;
  readonly peers: Gauge;
  readonly swarms: Gauge;
  readonly messagesReceived: Counter<'type'>;
  readonly messagesSent: Counter<'type'>;
  readonly errors: Counter<'code'>;
  readonly disconnects: Counter<'reason'>;
  readonly relayLatency: Histogram<'path'>;
  readonly storeHealthy: Gauge;
  readonly storeOutages: Counter;
  readonly storeErrors: Counter;
  readonly elections: Counter;
  readonly bans: Counter;
  readonly reportsIgnored: Counter<'reason'>;
  readonly joinsRefused: Counter<'reason'>;
  readonly beaconsClamped: Counter;
  readonly beaconP2pBytes: Counter;
  readonly beaconHttpBytes: Counter;
  readonly beaconUploadedBytes: Counter;
  readonly beaconStalls: Counter;
  readonly beaconStallSeconds: Counter;
  readonly beaconFallbacks: Counter;
  readonly beaconIntegrityFailures: Counter;
  readonly beaconPrefetchWastedBytes: Counter;
  readonly beaconStartup: Histogram;
  readonly beaconPeerAttempts: Counter;
  readonly beaconPeerFailures: Counter;
  readonly beaconRelayRefused: Counter;
  readonly beaconPeerConnections: Counter<'pair'>;
  readonly p2pTriedViewers: Gauge;
  readonly p2pEligibleViewers: Gauge;
  readonly beacons: Counter;

  constructor(nodeId: string) {
    this.registry = createMetricsRegistry('tracker', { node: nodeId });
    const registers = [this.registry];
    const counter = <L extends string = never>(name: string, help: string, labels?: L[]) =>
      new Counter<L>({ name: `coral_tracker_${name}`, help, labelNames: labels ?? [], registers });
    const gauge = (name: string, help: string) =>
      new Gauge({ name: `coral_tracker_${name}`, help, registers });
    this.connections = gauge('connections', 'Open WebSocket connections');
    this.peers = gauge('peers', 'Swarm memberships held by this node');
    this.swarms = gauge('swarms', 'Swarms with a member on this node');
    this.messagesReceived = counter('messages_received_total', 'Client messages by type', ['type']);
    this.messagesSent = counter('messages_sent_total', 'Messages sent to clients by type', [
      'type',
    ]);
    this.errors = counter('errors_total', 'Protocol errors sent to clients by code', ['code']);
    this.disconnects = counter('disconnects_total', 'Connections closed by reason', ['reason']);
    this.relayLatency = new Histogram({
      name: 'coral_tracker_relay_latency_seconds',
      help: 'Signal relay time from receipt to delivery (path: local or cluster)',
      labelNames: ['path'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.storeHealthy = gauge('store_healthy', '1 while the shared store (Redis) is reachable');
    this.storeOutages = counter('store_outages_total', 'Times the store became unreachable');
    this.storeErrors = counter('store_errors_total', 'Store commands that failed');
    this.elections = counter('elections_total', 'Live fetcher elections that changed (new epoch)');
    this.bans = counter('bans_total', 'Viewers banned from a swarm after integrity reports');
    this.reportsIgnored = counter(
      'reports_ignored_total',
      'Integrity reports that did not count towards a ban, by reason',
      ['reason'],
    );
    this.joinsRefused = counter('joins_refused_total', 'Joins refused by the tracker, by reason', [
      'reason',
    ]);
    this.beaconsClamped = counter(
      'beacons_clamped_total',
      'Beacons whose increments exceeded what a viewer can do in the time since its last one',
    );
    this.beacons = counter('beacons_total', 'QoE beacons received');
    this.beaconP2pBytes = counter('beacon_p2p_bytes_total', 'Bytes players got from peers');
    this.beaconHttpBytes = counter('beacon_http_bytes_total', 'Bytes players got from the CDN');
    this.beaconUploadedBytes = counter('beacon_uploaded_bytes_total', 'Bytes players uploaded');
    this.beaconStalls = counter('beacon_stalls_total', 'Playback stalls');
    this.beaconStallSeconds = counter('beacon_stall_seconds_total', 'Time spent stalled');
    this.beaconFallbacks = counter('beacon_fallbacks_total', 'Peer fetches that fell back to HTTP');
    this.beaconIntegrityFailures = counter(
      'beacon_integrity_failures_total',
      'Peer segments that failed verification',
    );
    this.beaconPrefetchWastedBytes = counter(
      'beacon_prefetch_wasted_bytes_total',
      'Prefetched bytes never played',
    );
    this.beaconPeerAttempts = counter(
      'beacon_peer_attempts_total',
      'Peer connection set-ups that ended (opened, failed or relay refused)',
    );
    this.beaconPeerFailures = counter(
      'beacon_peer_failures_total',
      'Peer connection set-ups that failed (ICE failed or timed out)',
    );
    this.beaconRelayRefused = counter(
      'beacon_relay_refused_total',
      'Peer connections closed because they opened on a relay the operator does not allow',
    );
    this.beaconPeerConnections = counter(
      'beacon_peer_connections_total',
      'Peer connections opened, by selected candidate pair type',
      ['pair'],
    );
    this.p2pTriedViewers = gauge(
      'p2p_tried_viewers',
      'Memberships on this node whose player tried at least one peer connection',
    );
    this.p2pEligibleViewers = gauge(
      'p2p_eligible_viewers',
      'Of those, the ones with a peer connection opened on an allowed path (P2P-eligible)',
    );
    this.beaconStartup = new Histogram({
      name: 'coral_tracker_beacon_startup_seconds',
      help: 'Player startup time (first beacon with it per membership)',
      buckets: [0.25, 0.5, 1, 2, 3, 5, 8, 13, 20],
      registers,
    });
    this.storeHealthy.set(1);
  }
}
