import { fork, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  spawnService,
  startRedis,
  startRedisCluster,
  type RunningService,
} from '@coral-cdn/test-support';
import { percentile } from '../lib/stats.js';
import { ensureBittorrentTracker } from './baseline.js';
import type { WorkerCommand, WorkerReply } from './worker-protocol.js';

/**
 * `coral-redis`: the Coral tracker on its Redis store (a local redis-server);
 * `coral-redis-cluster`: on a Redis Cluster (three local masters). Both run `trackerNodes`
 * tracker processes sharing the store; `coral` (memory) is always one.
 */
export type TrackerKind = 'coral' | 'coral-redis' | 'coral-redis-cluster' | 'bittorrent';

/** Tracker processes a kind runs: several only on a shared store. */
export function nodesOf(kind: TrackerKind, trackerNodes: number): number {
  return kind === 'coral-redis' || kind === 'coral-redis-cluster' ? trackerNodes : 1;
}

export interface TrackerBenchOptions {
  peerCounts: number[];
  phaseMs: number;
  relayRatePerSec: number;
  /** Operations each active peer keeps in flight in the query phase. */
  window: number;
  /** Announces each active peer keeps in flight (cheap operations need a deeper pipeline to
   * load the tracker rather than the load generator). */
  announceWindow: number;
  /** Peers (over all workers) that drive the throughput phases; the rest are joined, idle. */
  activePeers: number;
  /** Peers a query asks for. */
  queryPeers: number;
  workers: number;
  /** Tracker nodes on a shared store (Redis kinds); load worker i drives node i mod n. */
  trackerNodes: number;
  log: (line: string) => void;
}

export interface RunFigures {
  tracker: TrackerKind;
  peers: number;
  /** Tracker processes; CPU is summed over them, RSS is their mean. */
  nodes: number;
  joinSec: number;
  rssMiB: number;
  peakRssMiB: number;
  announcesPerSec: number;
  /** announcesPerSec / nodes: what one node sustains. */
  announcesPerSecPerNode: number;
  /** How long after the phase's deadline the announces sent before it were all handled. */
  announceDrainMs: number;
  announceServerCpuPct: number;
  /** Announces per second of tracker CPU: its capacity, even when the clients limit the rate. */
  announcesPerCpuSec: number;
  queriesPerSec: number;
  queryServerCpuPct: number;
  queriesPerCpuSec: number;
  relaySent: number;
  relayDelivered: number;
  relayP50Ms: number;
  relayP99Ms: number;
  relayServerCpuPct: number;
}

const here = dirname(fileURLToPath(import.meta.url));

/** Resident and peak memory of a process, from /proc. */
function memoryMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) / 1024;
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

/** CPU seconds (user + system) a process has used, from /proc. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

class Worker {
  private readonly child: ChildProcess;
  private pending: ((reply: WorkerReply) => void) | null = null;

  constructor() {
    this.child = fork(join(here, 'load-worker.js'), [], {
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (reply: WorkerReply) => {
      const resolve = this.pending;
      this.pending = null;
      resolve?.(reply);
    });
    this.child.on('exit', (code) => {
      if (this.pending) this.pending({ ev: 'error', message: `load worker exited with ${code}` });
    });
  }

  ask(command: WorkerCommand): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      this.pending = (reply) =>
        reply.ev === 'error' ? reject(new Error(reply.message)) : resolve(reply);
      this.child.send(command);
    });
  }

  close(): void {
    if (this.child.connected) this.child.send({ cmd: 'close' } satisfies WorkerCommand);
    setTimeout(() => this.child.kill('SIGKILL'), 2000).unref();
  }
}

/** The load generator is one address with up to 10k connections and no rate limits that a
 * real player would hit; everything else stays at its default. */
const coralEnv = (publicKey: string) => ({
  TOKEN_PUBLIC_KEY: publicKey,
  MAX_CONNECTIONS_PER_IP: '1000000',
  MESSAGES_PER_SEC: '1000000',
  HEARTBEAT_MS: '120000',
  LOG_LEVEL: 'warn',
});

interface Trackers {
  services: RunningService[];
  /** Stops the trackers and their store; idempotent. */
  stop(): Promise<void>;
}

async function startTrackers(
  kind: TrackerKind,
  nodes: number,
  log: (line: string) => void,
  publicKey: string,
): Promise<Trackers> {
  if (kind === 'bittorrent') {
    const serverPath = ensureBittorrentTracker(log);
    const service = await spawnService({
      app: join(here, 'bittorrent-server.js'),
      name: 'bittorrent-tracker',
      env: { BITTORRENT_SERVER_PATH: serverPath },
    });
    return { services: [service], stop: async () => void (await service.stop()) };
  }
  if (kind === 'coral') {
    const service = await spawnService({
      app: 'tracker',
      name: 'coral-tracker',
      env: coralEnv(publicKey),
    });
    return { services: [service], stop: async () => void (await service.stop()) };
  }
  const store =
    kind === 'coral-redis'
      ? await startRedis().then((redis) => ({
          env: { REDIS_URL: redis.url },
          stop: () => redis.stop(),
        }))
      : await startRedisCluster().then((cluster) => ({
          env: { REDIS_CLUSTER_NODES: cluster.nodes },
          stop: () => cluster.stop(),
        }));
  const services: RunningService[] = [];
  let stopped: Promise<void> | null = null;
  const stop = () =>
    (stopped ??= Promise.all(services.map((service) => service.stop())).then(() => store.stop()));
  try {
    for (let i = 0; i < nodes; i++) {
      services.push(
        await spawnService({
          app: 'tracker',
          name: `${kind}-${i}`,
          env: { ...coralEnv(publicKey), ...store.env, NODE_ID: `bench-${i}` },
        }),
      );
    }
    return { services, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** One tracker, one swarm size: join, memory, announces, queries, relay latency. */
export async function runOne(
  kind: TrackerKind,
  peers: number,
  options: TrackerBenchOptions,
): Promise<RunFigures> {
  const { log } = options;
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const rawPublicKey = publicKey.export({ format: 'jwk' }).x!;
  const tokenKeyPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const nodes = nodesOf(kind, options.trackerNodes);
  const trackers = await startTrackers(kind, nodes, log, rawPublicKey);
  const pids = trackers.services.map((service) => service.process.pid!);
  const trackerCpu = () => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const trackerMemory = () => {
    const each = pids.map(memoryMiB);
    return {
      rss: each.reduce((sum, m) => sum + m.rss, 0) / each.length,
      peak: Math.max(...each.map((m) => m.peak)),
    };
  };
  const workers = Array.from({ length: options.workers }, () => new Worker());
  const all = (command: (index: number) => WorkerCommand) =>
    Promise.all(workers.map((w, i) => w.ask(command(i))));
  const timed = async (command: (index: number) => WorkerCommand) => {
    const cpuBefore = trackerCpu();
    const started = performance.now();
    const replies = await all(command);
    const cpuPct = Math.round(
      ((trackerCpu() - cpuBefore) / ((performance.now() - started) / 1000)) * 100,
    );
    return { replies, cpuPct };
  };
  try {
    log(`${kind}: connecting ${peers} peers to ${nodes} node(s)`);
    const joinStarted = performance.now();
    const perWorker = Math.ceil(peers / options.workers);
    await all((i) => ({
      cmd: 'connect',
      kind: kind === 'bittorrent' ? 'bittorrent' : 'coral',
      url: `ws://127.0.0.1:${trackers.services[i % nodes]!.port}${kind === 'bittorrent' ? '/' : '/ws'}`,
      count: Math.min(perWorker, peers - i * perWorker),
      workerId: i,
      activeClients: Math.ceil(options.activePeers / options.workers),
      tokenKeyPem: kind === 'bittorrent' ? null : tokenKeyPem,
    }));
    const joinSec = (performance.now() - joinStarted) / 1000;
    // Let elections and timers settle before reading memory.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const memory = trackerMemory();
    log(
      `${kind}: ${peers} peers joined in ${joinSec.toFixed(1)} s; RSS ${memory.rss.toFixed(0)} MiB`,
    );

    const announce = await timed(() => ({
      cmd: 'announce',
      durationMs: options.phaseMs,
      window: options.announceWindow,
    }));
    const announcesPerSec = sumThroughput(announce.replies);
    const drainMs = Math.max(
      0,
      ...announce.replies.map((reply) => (reply.ev === 'throughput' ? reply.drainMs : 0)),
    );
    log(
      `${kind}: ${announcesPerSec.toFixed(0)} announces/s over ${nodes} node(s), handled ${drainMs} ms after the deadline (server CPU ${announce.cpuPct} %)`,
    );

    const query = await timed(() => ({
      cmd: 'query',
      durationMs: options.phaseMs,
      window: options.window,
      peers: options.queryPeers,
    }));
    const queriesPerSec = sumThroughput(query.replies);
    log(`${kind}: ${queriesPerSec.toFixed(0)} peer queries/s (server CPU ${query.cpuPct} %)`);

    const relay = await timed(() => ({
      cmd: 'relay',
      durationMs: options.phaseMs,
      ratePerSec: options.relayRatePerSec / options.workers,
    }));
    const latencies: number[] = [];
    let sent = 0;
    for (const reply of relay.replies) {
      if (reply.ev !== 'latencies') continue;
      sent += reply.sent;
      for (const latency of reply.latenciesMs) latencies.push(latency);
    }
    const figures: RunFigures = {
      tracker: kind,
      peers,
      nodes,
      joinSec: round(joinSec, 2),
      rssMiB: round(memory.rss, 1),
      peakRssMiB: round(Math.max(memory.peak, trackerMemory().peak), 1),
      announcesPerSec: Math.round(announcesPerSec),
      announcesPerSecPerNode: Math.round(announcesPerSec / nodes),
      announceDrainMs: drainMs,
      announceServerCpuPct: announce.cpuPct,
      announcesPerCpuSec: perCpuSecond(announcesPerSec, announce.cpuPct),
      queriesPerSec: Math.round(queriesPerSec),
      queryServerCpuPct: query.cpuPct,
      queriesPerCpuSec: perCpuSecond(queriesPerSec, query.cpuPct),
      relaySent: sent,
      relayDelivered: latencies.length,
      relayP50Ms: round(percentile(latencies, 50), 3),
      relayP99Ms: round(percentile(latencies, 99), 3),
      relayServerCpuPct: relay.cpuPct,
    };
    log(
      `${kind}: relay p50 ${figures.relayP50Ms} ms, p99 ${figures.relayP99Ms} ms (${latencies.length} legs)`,
    );
    return figures;
  } finally {
    for (const worker of workers) worker.close();
    await trackers.stop();
  }
}

function sumThroughput(replies: WorkerReply[]): number {
  let total = 0;
  for (const reply of replies) {
    if (reply.ev === 'throughput') total += reply.completed / (reply.elapsedMs / 1000);
  }
  return total;
}

function perCpuSecond(perSec: number, cpuPct: number): number {
  return cpuPct > 0 ? Math.round(perSec / (cpuPct / 100)) : 0;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
