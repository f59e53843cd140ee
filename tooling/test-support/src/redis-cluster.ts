import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

/** A master of a RedisCluster: its port and the hash slots it serves. */
export interface ClusterMaster {
  readonly port: number;
  readonly slots: ReadonlyArray<readonly [number, number]>;
}

export interface RedisCluster {
  readonly masters: readonly ClusterMaster[];
  /** `127.0.0.1:port,…`, as the tracker's REDIS_CLUSTER_NODES takes it. */
  readonly nodes: string;
  /** The port of the master serving `key` (by its hash slot). */
  portOfKey(key: string): number;
  /** Stop every node (SIGTERM) and remove their files. Idempotent. */
  stop(): Promise<void>;
}

/** A redis-cli or cluster setup step failed. */
export class RedisClusterError extends Error {
  override readonly name = 'RedisClusterError';
}

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
    table[i] = crc & 0xffff;
  }
  return table;
})();

/** CRC16-XMODEM, the hash of Redis Cluster. */
function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) ^ CRC16_TABLE[((crc >> 8) ^ byte) & 0xff]!) & 0xffff;
  return crc;
}

/** The hash slot of a key, as Redis Cluster computes it (a non-empty `{tag}` hashes alone). */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  const close = open >= 0 ? key.indexOf('}', open + 1) : -1;
  const hashed = close > open + 1 ? key.slice(open + 1, close) : key;
  return crc16(Buffer.from(hashed, 'utf8')) % 16_384;
}

/** One line per node of `CLUSTER NODES`: the masters' ports and slot ranges. */
export function parseClusterNodes(text: string): ClusterMaster[] {
  const masters: ClusterMaster[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    if (fields.length < 8 || !fields[2]!.split(',').includes('master')) continue;
    const port = Number(/:(\d+)@/.exec(fields[1]!)?.[1]);
    const slots = fields.slice(8).flatMap((range): Array<[number, number]> => {
      const match = /^(\d+)(?:-(\d+))?$/.exec(range);
      return match ? [[Number(match[1]), Number(match[2] ?? match[1])]] : [];
    });
    masters.push({ port, slots });
  }
  return masters.sort((a, b) => a.port - b.port);
}

/** A bound on one redis-cli run; `--cluster create` waits for the nodes to agree, see below. */
const REDIS_CLI_TIMEOUT_MS = 10_000;
/**
 * `--cluster create` assigns the slots, then waits until every node has joined by gossip. On a
 * loaded 2-core machine that took more than 10 s once (the whole suite running beside it), so
 * its bound is wider, within the tests' 60 s hooks: it returns as soon as the nodes agree.
 */
const CLUSTER_CREATE_TIMEOUT_MS = 30_000;

function redisCli(args: readonly string[], timeoutMs = REDIS_CLI_TIMEOUT_MS): Promise<string> {
  const binary = process.env.REDIS_CLI_PATH ?? 'redis-cli';
  return new Promise((resolve, reject) => {
    execFile(binary, args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const detail = stderr.trim() || error.message;
      reject(new RedisClusterError(`redis-cli ${args.join(' ')}: ${detail}`, { cause: error }));
    });
  });
}

function halt(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  return exited;
}

/**
 * A real local Redis Cluster: `masters` redis-servers (cluster mode, no persistence, no
 * replicas) on free loopback ports, joined by `redis-cli --cluster create`; resolves once
 * every node reports `cluster_state:ok` and knows every other. On any failure the nodes
 * started so far are stopped before it rejects.
 */
export async function startRedisCluster({ masters = 3 } = {}): Promise<RedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'coral-redis-cluster-'));
  const children: ChildProcess[] = [];
  let stopped: Promise<void> | null = null;
  const stop = () =>
    (stopped ??= Promise.all(children.map(halt)).then(() =>
      rmSync(dir, { recursive: true, force: true }),
    ));
  try {
    const ports: number[] = [];
    while (ports.length < masters * 2) {
      const port = await freePort();
      if (!ports.includes(port)) ports.push(port);
    }
    const clientPorts = ports.slice(0, masters);
    const binary = process.env.REDIS_SERVER_PATH ?? 'redis-server';
    clientPorts.forEach((port, i) => {
      const child = spawn(
        binary,
        [
          ...['--port', String(port), '--bind', '127.0.0.1'],
          ...['--cluster-enabled', 'yes', '--cluster-port', String(ports[masters + i])],
          ...['--cluster-config-file', join(dir, `nodes-${port}.conf`), '--dir', dir],
          ...['--cluster-node-timeout', '5000', '--save', '', '--appendonly', 'no'],
        ],
        { stdio: 'ignore' },
      );
      child.once('error', () => undefined);
      children.push(child);
    });
    for (const port of clientPorts) {
      await waitFor(`redis-server (cluster) on port ${port}`, async () => {
        return (await redisCli(['-p', String(port), 'ping']).catch(() => '')).trim() === 'PONG';
      });
    }
    await redisCli(
      [
        '--cluster',
        'create',
        ...clientPorts.map((port) => `127.0.0.1:${port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      CLUSTER_CREATE_TIMEOUT_MS,
    );
    for (const port of clientPorts) {
      await waitFor(
        `cluster_state:ok on port ${port}`,
        async () => {
          const info = await redisCli(['-p', String(port), 'cluster', 'info']);
          return (
            /cluster_state:ok/.test(info) &&
            new RegExp(`cluster_known_nodes:${masters}\\b`).test(info)
          );
        },
        { timeoutMs: 20_000 },
      );
    }
    const layout = parseClusterNodes(
      await redisCli(['-p', String(clientPorts[0]), 'cluster', 'nodes']),
    );
    if (layout.length !== masters) {
      throw new RedisClusterError(
        `expected ${masters} masters, CLUSTER NODES lists ${layout.length}`,
      );
    }
    return {
      masters: layout,
      nodes: clientPorts.map((port) => `127.0.0.1:${port}`).join(','),
      portOfKey(key) {
        const slot = keySlot(key);
        const master = layout.find((m) => m.slots.some(([from, to]) => slot >= from && slot <= to));
        if (!master) throw new RedisClusterError(`no master serves slot ${slot}`);
        return master.port;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
