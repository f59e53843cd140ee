import { Cluster, Redis, type RedisOptions } from 'ioredis';

/** One Redis seed node of a Redis Cluster. */
export interface ClusterNode {
  readonly host: string;
  readonly port: number;
}

/**
 * Where the Redis store keeps its state: one Redis (`REDIS_URL`), or a Redis Cluster
 * (`REDIS_CLUSTER_NODES`, seed nodes; the rest of the cluster is discovered from them).
 */
export type RedisTarget =
  | { readonly kind: 'single'; readonly url: string }
  | { readonly kind: 'cluster'; readonly nodes: readonly ClusterNode[] };

/** Either connection of the store: ioredis answers the same commands for both. */
export type RedisClient = Redis | Cluster;

/** `REDIS_CLUSTER_NODES` was not a list of `host:port`. */
export class ClusterNodesError extends Error {
  override readonly name = 'ClusterNodesError';
}

/**
 * `host:port,host:port` (IPv6 hosts in brackets: `[::1]:7000`) as seed nodes, in order,
 * each once. Throws ClusterNodesError naming the first entry that is not one.
 */
export function parseClusterNodes(text: string): ClusterNode[] {
  const nodes: ClusterNode[] = [];
  const seen = new Set<string>();
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[3]);
    if (!match || port < 1 || port > 65_535) {
      throw new ClusterNodesError(`"${entry}" is not host:port`);
    }
    const host = match[1] ?? match[2]!;
    const key = `${host}:${port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    nodes.push({ host, port });
  }
  return nodes;
}

/**
 * Where the shared room index (`<prefix>swarms`) is written. One Redis: inside each room
 * script, atomically with the room (the layout every earlier node uses). A cluster: a script
 * may only touch keys of one hash slot and the index is in another, so the store writes it
 * beside the script (self-healing at each heartbeat's touch).
 */
export function roomIndexInScripts(target: RedisTarget): boolean {
  return target.kind === 'single';
}

export interface ClientSettings {
  readonly connectionName: string;
  readonly commandTimeoutMs: number | undefined;
  /** The subscriber's re-subscription is the link's to do (and to await). */
  readonly autoResubscribe: boolean;
}

/** Shared by both connections: fail fast, no offline queue, reconnect forever (capped). */
const common = {
  lazyConnect: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  connectTimeout: 2000,
} as const;

const reconnectDelay = (attempt: number) => Math.min(100 * attempt, 1000);

/** A client for the target: `Redis` for one Redis, ioredis `Cluster` for a cluster. */
export function createClient(target: RedisTarget, settings: ClientSettings): RedisClient {
  const redisOptions: RedisOptions = {
    ...common,
    commandTimeout: settings.commandTimeoutMs,
    connectionName: settings.connectionName,
    autoResubscribe: settings.autoResubscribe,
  };
  if (target.kind === 'single') {
    return new Redis(target.url, { ...redisOptions, retryStrategy: reconnectDelay });
  }
  return new Cluster(
    target.nodes.map((node) => ({ host: node.host, port: node.port })),
    {
      lazyConnect: true,
      enableOfflineQueue: false,
      clusterRetryStrategy: reconnectDelay,
      // A moved slot or a failover is retried a few times inside ioredis, then fails fast.
      maxRedirections: 4,
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 100,
      slotsRefreshTimeout: 2000,
      redisOptions: {
        maxRetriesPerRequest: 0,
        connectTimeout: common.connectTimeout,
        commandTimeout: settings.commandTimeoutMs,
        connectionName: settings.connectionName,
        autoResubscribe: settings.autoResubscribe,
      },
    },
  );
}

/** Every master of the target (the one Redis itself when it is not a cluster). */
export function mastersOf(client: RedisClient): Redis[] {
  return client instanceof Cluster ? client.nodes('master') : [client];
}
