import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { EngineStats, HeadlessPlayerStats } from '@coral-cdn/p2p-engine';
import type { CorruptionCounters } from './corrupt.js';
import { NodePeer, type NodePeerOptions, type NodePeerState } from './node-peer.js';

/** One peer's line in a fleet report (engine stats without the per-connection details). */
export interface FleetPeerStats {
  index: number;
  peerId: string | null;
  mode: string;
  state: NodePeerState;
  rendition: string | null;
  error: string | null;
  engine: Omit<EngineStats, 'peerDetails'> | null;
  player: HeadlessPlayerStats | null;
  corrupted: CorruptionCounters | null;
}

export interface FleetTotals {
  peers: number;
  /** Peers by state. */
  states: Record<NodePeerState, number>;
  httpBytes: number;
  p2pBytes: number;
  uploadedBytes: number;
  /** p2pBytes / (httpBytes + p2pBytes) over the whole fleet, 0..1. */
  offloadRatio: number;
  stalls: number;
  stallMs: number;
  /** Startup of the peers that started playing, ms. */
  startupMsMedian: number | null;
  startupMsMax: number | null;
  fallbacks: number;
  integrityFailures: number;
  /** Open peer connections, summed over the peers (each connection counts on both ends). */
  connections: number;
}

export interface ProcessStats {
  rssBytes: number;
  heapUsedBytes: number;
  /** CPU time used by this process since the previous sample, as % of one core. */
  cpuPercent: number;
  cpuTotalMs: number;
  /** Event loop delay since the previous sample, ms: how late timers and I/O callbacks run. */
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
}

export interface FleetReport {
  elapsedMs: number;
  totals: FleetTotals;
  process: ProcessStats;
  peers: FleetPeerStats[];
}

export interface FleetOptions {
  count: number;
  /** Options for the peer at `index` (0-based). */
  peerOptions: (index: number) => NodePeerOptions;
  /** Start the peers this far apart, ms (0: all at once). */
  joinIntervalMs?: number;
  /** A peer that fails to start (its error is in its stats). */
  onPeerError?: (index: number, error: unknown) => void;
}

/**
 * Many NodePeers in one process: started together or staggered, reported together, destroyed
 * together. A peer that fails to start stays in the report as `failed` with its error.
 */
export class PeerFleet {
  readonly peers: NodePeer[] = [];
  private readonly startedAtMs = performance.now();
  private joinTimer: NodeJS.Timeout | null = null;
  private lastCpu = process.cpuUsage();
  private lastCpuAtMs = performance.now();
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private destroyed = false;

  constructor(private readonly options: FleetOptions) {
    this.loopDelay.enable();
  }

  /** Start every peer (staggered by joinIntervalMs); resolves once all have been started. */
  async start(): Promise<void> {
    const interval = this.options.joinIntervalMs ?? 0;
    const starts: Array<Promise<void>> = [];
    for (let index = 0; index < this.options.count; index++) {
      if (this.destroyed) break;
      if (index > 0 && interval > 0) {
        await new Promise<void>((resolve) => {
          this.joinTimer = setTimeout(resolve, interval);
        });
        this.joinTimer = null;
        if (this.destroyed) break;
      }
      const peer = new NodePeer(this.options.peerOptions(index));
      this.peers.push(peer);
      starts.push(peer.start().catch((error: unknown) => this.options.onPeerError?.(index, error)));
    }
    await Promise.all(starts);
  }

  /** Every peer has been created and none is still playing or starting (VOD watchers ended). */
  get finished(): boolean {
    if (this.peers.length < this.options.count) return false;
    return this.peers.every((peer) => {
      const state = peer.stats().state;
      return state === 'ended' || state === 'failed' || state === 'destroyed';
    });
  }

  report(): FleetReport {
    const peers = this.peers.map((peer, index) => peerLine(peer, index));
    return {
      elapsedMs: Math.round(performance.now() - this.startedAtMs),
      totals: totalsOf(peers),
      process: this.sampleProcess(),
      peers,
    };
  }

  /** Destroy every peer. Idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.joinTimer !== null) clearTimeout(this.joinTimer);
    this.loopDelay.disable();
    for (const peer of this.peers) peer.destroy();
  }

  private sampleProcess(): ProcessStats {
    const now = performance.now();
    const cpu = process.cpuUsage();
    const usedMicros = cpu.user - this.lastCpu.user + (cpu.system - this.lastCpu.system);
    const wallMs = Math.max(1, now - this.lastCpuAtMs);
    this.lastCpu = cpu;
    this.lastCpuAtMs = now;
    const memory = process.memoryUsage();
    const delayP99Ms = this.loopDelay.percentile(99) / 1e6;
    const delayMaxMs = this.loopDelay.max / 1e6;
    this.loopDelay.reset();
    return {
      eventLoopDelayP99Ms: Math.round(delayP99Ms),
      eventLoopDelayMaxMs: Math.round(delayMaxMs),
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      cpuPercent: Math.round((usedMicros / 1000 / wallMs) * 1000) / 10,
      cpuTotalMs: Math.round((cpu.user + cpu.system) / 1000),
    };
  }
}

function peerLine(peer: NodePeer, index: number): FleetPeerStats {
  const stats = peer.stats();
  let engine: FleetPeerStats['engine'] = null;
  if (stats.engine) {
    const { peerDetails: _details, ...rest } = stats.engine;
    engine = rest;
  }
  return {
    index,
    peerId: stats.peerId,
    mode: stats.mode,
    state: stats.state,
    rendition: stats.rendition,
    error: stats.error,
    engine,
    player: stats.player,
    corrupted: stats.corrupted,
  };
}

function totalsOf(peers: FleetPeerStats[]): FleetTotals {
  const states: Record<NodePeerState, number> = {
    new: 0,
    starting: 0,
    running: 0,
    ended: 0,
    failed: 0,
    destroyed: 0,
  };
  const totals: FleetTotals = {
    peers: peers.length,
    states,
    httpBytes: 0,
    p2pBytes: 0,
    uploadedBytes: 0,
    offloadRatio: 0,
    stalls: 0,
    stallMs: 0,
    startupMsMedian: null,
    startupMsMax: null,
    fallbacks: 0,
    integrityFailures: 0,
    connections: 0,
  };
  const startups: number[] = [];
  for (const peer of peers) {
    states[peer.state]++;
    const engine = peer.engine;
    if (engine) {
      totals.httpBytes += engine.httpBytes;
      totals.p2pBytes += engine.p2pBytes;
      totals.uploadedBytes += engine.uploadedBytes;
      totals.fallbacks += engine.fallbacks;
      totals.integrityFailures += engine.integrityFailures;
      totals.connections += engine.peers;
    }
    if (peer.player) {
      totals.stalls += peer.player.stalls;
      totals.stallMs += peer.player.stallMs;
      if (peer.player.startupMs !== null) startups.push(peer.player.startupMs);
    }
  }
  const moved = totals.httpBytes + totals.p2pBytes;
  totals.offloadRatio = moved === 0 ? 0 : totals.p2pBytes / moved;
  totals.stallMs = Math.round(totals.stallMs);
  if (startups.length > 0) {
    startups.sort((a, b) => a - b);
    const middle = Math.floor(startups.length / 2);
    const median =
      startups.length % 2 === 1
        ? startups[middle]!
        : (startups[middle - 1]! + startups[middle]!) / 2;
    totals.startupMsMedian = Math.round(median);
    totals.startupMsMax = Math.round(startups[startups.length - 1]!);
  }
  return totals;
}
