import { spawn, type ChildProcess } from 'node:child_process';
import { parentDeathArgv } from '@coral-cdn/server-kit';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { sleep } from '@coral-cdn/test-support';
import {
  cdnReasonCounts,
  type ViewerCounters,
  type ViewerDiagnostics,
  type ViewerGroup,
} from './viewers.js';

/** The parts of a `coral-peer` stats/summary line the benchmark reads (packages/node-peer). */
export interface FleetLine {
  type: 'stats' | 'summary';
  elapsedMs: number;
  process: {
    rssBytes: number;
    cpuPercent: number;
    cpuTotalMs: number;
    eventLoopDelayP99Ms: number;
  };
  peers: Array<{
    index: number;
    state: string;
    error: string | null;
    engine: Record<string, unknown> | null;
    player: Record<string, unknown> | null;
  }>;
}

/** Parse one stdout line of `coral-peer`; null for anything that is not a stats/summary line. */
export function parseFleetLine(line: string): FleetLine | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const record = value as Partial<FleetLine>;
  if (record.type !== 'stats' && record.type !== 'summary') return null;
  if (!Array.isArray(record.peers) || typeof record.process !== 'object') return null;
  return record as FleetLine;
}

/** One fleet peer's entry → the benchmark's counters. */
export function peerCounters(peer: FleetLine['peers'][number]): ViewerCounters {
  const engine = peer.engine ?? {};
  const player = peer.player ?? {};
  const num = (source: Record<string, unknown>, key: string): number =>
    typeof source[key] === 'number' ? source[key] : 0;
  return {
    httpBytes: num(engine, 'httpBytes'),
    p2pBytes: num(engine, 'p2pBytes'),
    uploadedBytes: num(engine, 'uploadedBytes'),
    segmentsFromHttp: num(engine, 'segmentsFromHttp'),
    segmentsFromP2p: num(engine, 'segmentsFromP2p'),
    segmentsMixed: num(engine, 'segmentsMixed'),
    cdnReasons: cdnReasonCounts(engine.cdnReasons),
    fallbacks: num(engine, 'fallbacks'),
    integrityFailures: num(engine, 'integrityFailures'),
    prefetchWastedBytes: num(engine, 'prefetchWastedBytes'),
    // The player's figures are the QoE ones (the engine's mirror them).
    stalls: num(player, 'stalls'),
    stallMs: num(player, 'stallMs'),
    startupMs: typeof player.startupMs === 'number' ? player.startupMs : null,
    peers: num(engine, 'peers'),
    trackerConnected: engine.trackerConnected === true,
    passthroughBytes: null,
    positionSec: num(player, 'positionSec'),
    error: peer.error ?? (peer.state === 'failed' ? 'failed' : null),
  };
}

export interface PeerGroupOptions {
  originUrl: string;
  streamId: string;
  rendition: string;
  p2p: boolean;
  count: number;
  joinIntervalMs: number;
  perProcess: number;
  /** Watchers' buffer target, s (the player page keeps 12 s with P2P on, hls.js's 30 s off). */
  bufferSec: number;
  runStartedAtMs: number;
}

interface FleetProcess {
  child: ChildProcess;
  firstIndex: number;
  count: number;
  startedAtMs: number;
  latest: FleetLine | null;
  stderrTail: string[];
  exited: Promise<void>;
  maxLoopDelayP99Ms: number;
  maxRssBytes: number;
}

const STDERR_LINES_KEPT = 2_000;

/** N werift peers (`coral-peer` processes of at most `perProcess` peers each). */
export class PeerGroup implements ViewerGroup {
  readonly kind = 'peers' as const;
  private readonly processes: FleetProcess[] = [];
  private closed = false;

  constructor(private readonly options: PeerGroupOptions) {}

  private spawnFleet(firstIndex: number, count: number): FleetProcess {
    const cli = join(
      dirname(createRequire(import.meta.url).resolve('@coral-cdn/node-peer')),
      'cli.js',
    );
    const o = this.options;
    const child = spawn(
      ...parentDeathArgv(process.execPath, [
        cli,
        ...['--origin', o.originUrl, '--stream', o.streamId, '--rendition', o.rendition],
        ...['--count', String(count), '--join-interval-ms', String(o.joinIntervalMs)],
        ...['--stats-interval-ms', '1000', '--buffer-sec', String(o.bufferSec)],
        ...['--log-level', 'warn'],
        ...(o.p2p ? [] : ['--no-p2p']),
      ]),
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const fleet: FleetProcess = {
      child,
      firstIndex,
      count,
      startedAtMs: performance.now() - o.runStartedAtMs,
      latest: null,
      stderrTail: [],
      exited: new Promise((resolve) => child.once('exit', () => resolve())),
      maxLoopDelayP99Ms: 0,
      maxRssBytes: 0,
    };
    onLines(child.stdout, (line) => {
      const parsed = parseFleetLine(line);
      if (!parsed) return;
      fleet.latest = parsed;
      fleet.maxLoopDelayP99Ms = Math.max(
        fleet.maxLoopDelayP99Ms,
        parsed.process.eventLoopDelayP99Ms,
      );
      fleet.maxRssBytes = Math.max(fleet.maxRssBytes, parsed.process.rssBytes);
    });
    onLines(child.stderr, (line) => {
      fleet.stderrTail.push(line);
      if (fleet.stderrTail.length > STDERR_LINES_KEPT) fleet.stderrTail.shift();
    });
    return fleet;
  }

  async join(): Promise<void> {
    const o = this.options;
    const firstAtMs = performance.now();
    for (let first = 0; first < o.count; first += o.perProcess) {
      const slotMs = firstAtMs + first * o.joinIntervalMs - performance.now();
      if (slotMs > 0) await sleep(slotMs);
      if (this.closed) return;
      this.processes.push(this.spawnFleet(first, Math.min(o.perProcess, o.count - first)));
    }
    // Every peer created (its process reports it) or a process gone.
    const lastJoinMs = firstAtMs + (o.count - 1) * o.joinIntervalMs;
    const deadline = lastJoinMs + 30_000;
    while (performance.now() < deadline && !this.closed) {
      const reported = this.processes.every(
        (fleet) =>
          fleet.child.exitCode !== null || (fleet.latest?.peers.length ?? 0) >= fleet.count,
      );
      if (reported && performance.now() >= lastJoinMs) break;
      await sleep(250);
    }
    const dead = this.processes.find(
      (fleet) => fleet.child.exitCode !== null && fleet.latest === null,
    );
    if (dead) {
      throw new Error(
        `coral-peer exited with ${dead.child.exitCode} before reporting:\n${dead.stderrTail.slice(-20).join('\n')}`,
      );
    }
  }

  async sample(): Promise<ViewerCounters[]> {
    const counters: ViewerCounters[] = [];
    for (const fleet of this.processes) {
      const peers = [...(fleet.latest?.peers ?? [])].sort((a, b) => a.index - b.index);
      counters.push(...peers.map(peerCounters));
    }
    return counters;
  }

  async diagnostics(): Promise<ViewerDiagnostics[]> {
    const o = this.options;
    return this.processes.flatMap((fleet) =>
      (fleet.latest?.peers ?? []).map((peer) => ({
        index: fleet.firstIndex + peer.index,
        joinedAtMs: Math.round(fleet.startedAtMs + peer.index * o.joinIntervalMs),
        segments: [],
        // Engine log lines are JSON with the peer's index in this process.
        logs: fleet.stderrTail.filter((line) => line.includes(`"peer":${peer.index},`)).slice(-100),
        peerDetails: null,
        console: [],
        pageFetches: [],
      })),
    );
  }

  /** The fleet processes' worst event-loop delay and RSS (overload shows here first). */
  health(): { maxEventLoopDelayP99Ms: number; maxRssBytes: number; processes: number } {
    return {
      maxEventLoopDelayP99Ms: Math.max(0, ...this.processes.map((f) => f.maxLoopDelayP99Ms)),
      maxRssBytes: Math.max(0, ...this.processes.map((f) => f.maxRssBytes)),
      processes: this.processes.length,
    };
  }

  peerPids(): number[] {
    return this.processes.flatMap((fleet) =>
      fleet.child.pid !== undefined ? [fleet.child.pid] : [],
    );
  }

  /** CPU seconds of the fleet processes, as they report it (it survives their exit). */
  peersCpuSec(): number {
    return (
      this.processes.reduce((sum, fleet) => sum + (fleet.latest?.process.cpuTotalMs ?? 0), 0) / 1000
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const fleet of this.processes) {
      if (fleet.child.exitCode === null) fleet.child.kill('SIGTERM');
    }
    await Promise.all(
      this.processes.map(async (fleet) => {
        const timer = setTimeout(() => fleet.child.kill('SIGKILL'), 15_000);
        await fleet.exited;
        clearTimeout(timer);
      }),
    );
  }
}

function onLines(stream: NodeJS.ReadableStream, handle: (line: string) => void): void {
  let buffer = '';
  stream.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      handle(buffer.slice(0, newline));
      buffer = buffer.slice(newline + 1);
    }
  });
}
